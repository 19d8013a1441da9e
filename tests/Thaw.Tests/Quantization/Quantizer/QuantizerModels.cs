using System.Runtime.InteropServices;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Quantization.Quantizer;

/// <summary>Small plain model folders (config.json + model.safetensors) with chosen weights, to quantize.</summary>
internal static class QuantizerModels
{
    public const string LlamaConfig = """
        {
          "architectures": [
            "LlamaForCausalLM"
          ],
          "dtype": "bfloat16",
          "hidden_size": 8,
          "model_type": "llama",
          "num_attention_heads": 2,
          "num_hidden_layers": 1,
          "tie_word_embeddings": false,
          "vocab_size": 16
        }

        """;

    /// <summary>bfloat16 values from a seeded generator, widened (what a bf16 checkpoint holds).</summary>
    public static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => FloatConversions.BFloat16BitsToSingle(FloatConversions.SingleToBFloat16Bits((float)((random.NextDouble() - 0.5) * 0.2))))];
    }

    public static Tensor Bf16(string name, long[] shape, float[] values)
    {
        var bits = values.Select(FloatConversions.SingleToBFloat16Bits).ToArray();
        return new Tensor(name, DType.BF16, shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
    }

    public static Tensor Bf16(string name, long[] shape, int seed) => Bf16(name, shape, Values((int)shape.Aggregate(1L, (a, b) => a * b), seed));

    /// <summary>A one-layer Llama (hidden 8, vocab 16) with q_proj [8, 8], up_proj [24, 8], down_proj [8, 24] and a bias.</summary>
    public static List<Tensor> Llama() =>
    [
        Bf16("model.embed_tokens.weight", [16, 8], 1),
        Bf16("model.layers.0.self_attn.q_proj.weight", [8, 8], 2),
        Bf16("model.layers.0.self_attn.q_proj.bias", [8], 3),
        Bf16("model.layers.0.mlp.up_proj.weight", [24, 8], 4),
        Bf16("model.layers.0.mlp.down_proj.weight", [8, 24], 5),
        Bf16("model.layers.0.input_layernorm.weight", [8], 6),
        Bf16("model.norm.weight", [8], 7),
        Bf16("lm_head.weight", [16, 8], 8),
    ];

    /// <summary>Writes config.json (when given) and model.safetensors into a folder under <paramref name="temp"/>.</summary>
    public static string Folder(TempFolder temp, IEnumerable<Tensor> tensors, string? config = LlamaConfig, string name = "model")
    {
        var folder = temp.File(name);
        Directory.CreateDirectory(folder);
        if (config is not null)
            File.WriteAllText(Path.Combine(folder, "config.json"), config);
        Write(Path.Combine(folder, "model.safetensors"), [.. tensors]);
        return folder;
    }
}
