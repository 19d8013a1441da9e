using Thaw.Tests.Quantization.Quantizer;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Analysis;

/// <summary>
/// A Llama-shaped bf16 model (hidden 128, intermediate 256, 8 layers, vocab 64) with normal weights, optionally with
/// two planted sensitive modules: outlier input columns in layer 1's mlp.down_proj, heavy-tailed (Student-t, 3 degrees
/// of freedom) weights in layer 5's self_attn.o_proj.
/// </summary>
internal static class PlantedModels
{
    public const string OutlierModule = "model.layers.1.mlp.down_proj";
    public const string HeavyTailModule = "model.layers.5.self_attn.o_proj";
    public const int Layers = 8;
    private const int Hidden = 128;
    private const int Intermediate = 256;
    private const int Vocab = 64;

    public const string Config = """
        {
          "architectures": ["LlamaForCausalLM"],
          "dtype": "bfloat16",
          "hidden_size": 128,
          "intermediate_size": 256,
          "model_type": "llama",
          "num_attention_heads": 4,
          "num_key_value_heads": 4,
          "num_hidden_layers": 8,
          "tie_word_embeddings": false,
          "vocab_size": 64
        }

        """;

    public static string Folder(TempFolder temp, bool planted, string name = "planted")
    {
        var tensors = new List<Tensor> { QuantizerModels.Bf16("model.embed_tokens.weight", [Vocab, Hidden], Normal(Vocab * Hidden, 1)) };
        var seed = 100;
        for (var layer = 0; layer < Layers; layer++)
        {
            foreach (var (module, rows, cols) in new[]
            {
                ("self_attn.q_proj", Hidden, Hidden), ("self_attn.k_proj", Hidden, Hidden), ("self_attn.v_proj", Hidden, Hidden),
                ("self_attn.o_proj", Hidden, Hidden), ("mlp.gate_proj", Intermediate, Hidden), ("mlp.up_proj", Intermediate, Hidden),
                ("mlp.down_proj", Hidden, Intermediate),
            })
            {
                var full = $"model.layers.{layer}.{module}";
                var values = planted && full == HeavyTailModule ? StudentT(rows * cols, seed++) : Normal(rows * cols, seed++);
                if (planted && full == OutlierModule)
                    PlantOutlierColumns(values, cols);
                tensors.Add(QuantizerModels.Bf16(full + ".weight", [rows, cols], values));
            }
            tensors.Add(QuantizerModels.Bf16($"model.layers.{layer}.input_layernorm.weight", [Hidden], Normal(Hidden, seed++)));
            tensors.Add(QuantizerModels.Bf16($"model.layers.{layer}.post_attention_layernorm.weight", [Hidden], Normal(Hidden, seed++)));
        }
        tensors.Add(QuantizerModels.Bf16("model.norm.weight", [Hidden], Normal(Hidden, 2)));
        tensors.Add(QuantizerModels.Bf16("lm_head.weight", [Vocab, Hidden], Normal(Vocab * Hidden, 3)));
        return QuantizerModels.Folder(temp, tensors, Config, name);
    }

    // Columns 5 and 70 scaled 30×: every block holding one is scaled by the outlier, its other weights lose precision.
    private static void PlantOutlierColumns(float[] values, int cols)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i % cols is 5 or 70)
                values[i] = Bf16(values[i] * 30);
        }
    }

    private static float[] Normal(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Bf16(0.02 * Gaussian(random)))];
    }

    private static float[] StudentT(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var z = Gaussian(random);
            var chi = (Math.Pow(Gaussian(random), 2) + Math.Pow(Gaussian(random), 2) + Math.Pow(Gaussian(random), 2)) / 3;
            return Bf16(0.02 * z / Math.Sqrt(chi));
        })];
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float Bf16(double value) =>
        global::Thaw.Tensors.FloatConversions.BFloat16BitsToSingle(global::Thaw.Tensors.FloatConversions.SingleToBFloat16Bits((float)value));
}
