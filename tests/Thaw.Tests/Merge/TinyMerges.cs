using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;
using Thaw.Tests.Models;

namespace Thaw.Tests.Merge;

/// <summary>Hand-built tiny bases and adapters with exactly representable values, merged, and the output read back.</summary>
internal static class TinyMerges
{
    /// <summary>A one-layer Llama (hidden 4, vocab 6), untied unless <paramref name="tied"/>.</summary>
    public static string LlamaConfig(bool tied = false, int vocab = 6) =>
        $$"""{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": {{vocab}}, "tie_word_embeddings": {{(tied ? "true" : "false")}}}""";

    public const string Gpt2Config = """{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 4, "n_head": 1, "n_layer": 1, "vocab_size": 6, "tie_word_embeddings": true}""";

    /// <summary>An adapter config: r, alpha and targets, plus any extra fields (starting with a comma).</summary>
    public static string AdapterConfig(int r, double alpha, string targets, string extra = "") =>
        $$"""{"peft_type": "LORA", "r": {{r}}, "lora_alpha": {{alpha}}, "target_modules": {{targets}}{{extra}}}""";

    /// <summary>An F32 tensor with the given values (row-major).</summary>
    public static TestWeights.Tensor F32(string name, long[] shape, params float[] values)
    {
        Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), values.Length);
        return new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>A BF16 tensor (the values must be exact in bfloat16).</summary>
    public static TestWeights.Tensor Bf16(string name, long[] shape, params float[] values)
    {
        var bits = values.Select(FloatConversions.SingleToBFloat16Bits).ToArray();
        Assert.Equal(values, bits.Select(FloatConversions.BFloat16BitsToSingle));
        return new(name, DType.BF16, shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
    }

    /// <summary>0, 1, 2, … as floats, minus <paramref name="offset"/>: small distinct integers.</summary>
    public static float[] Ramp(int count, int offset = 0) => [.. Enumerable.Range(0, count).Select(i => (float)(i - offset))];

    /// <summary>Writes config.json (when given) and model.safetensors into a new folder under <paramref name="temp"/>.</summary>
    public static string Folder(TempFolder temp, string name, string? config, params TestWeights.Tensor[] tensors)
    {
        var folder = temp.File(name);
        Directory.CreateDirectory(folder);
        if (config is not null)
            File.WriteAllText(Path.Combine(folder, "config.json"), config);
        TestWeights.Write(Path.Combine(folder, "model.safetensors"), tensors);
        return folder;
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors into a new folder under <paramref name="temp"/>.</summary>
    public static string Adapter(TempFolder temp, string name, string config, params TestWeights.Tensor[] tensors)
    {
        var folder = temp.File(name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config);
        TestWeights.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        return folder;
    }

    /// <summary>A merged tensor read back: dtype, shape and values widened to float.</summary>
    public sealed record Read(DType DType, long[] Shape, float[] Values);

    /// <summary>Every tensor of the folder's model.safetensors.</summary>
    public static Dictionary<string, Read> ReadTensors(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var result = new Dictionary<string, Read>(StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
        {
            var bytes = file.ReadAll(tensor);
            var values = new float[bytes.Length / DTypes.ByteSize(tensor.DType)];
            FloatConversions.ToSingle(tensor.DType, bytes, values);
            result[tensor.Name] = new Read(tensor.DType, [.. tensor.Shape], values);
        }
        return result;
    }

    public static JsonObject Config(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();

    /// <summary>rows × columns product of row-major matrices, in double (exact for small integers).</summary>
    public static double[] MatMul(float[] left, float[] right, int rows, int inner, int columns)
    {
        var result = new double[rows * columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                for (var k = 0; k < inner; k++)
                    result[i * columns + j] += (double)left[i * inner + k] * right[k * columns + j];
            }
        }
        return result;
    }

    public static double[] Transpose(double[] values, int rows, int columns)
    {
        var result = new double[values.Length];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
                result[j * rows + i] = values[i * columns + j];
        }
        return result;
    }

    /// <summary>base + scale · delta, element by element, as floats (exact for the small values used).</summary>
    public static float[] Plus(float[] baseValues, double[] delta, double scale) =>
        [.. baseValues.Select((w, i) => (float)(w + scale * delta[i]))];
}
