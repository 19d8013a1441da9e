using System.Text.Json.Nodes;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Benchmarks.Synthetic;

/// <summary>
/// Writes a Llama-shaped bf16 model folder with random weights (config.json + sharded safetensors), streaming,
/// for the end-to-end benchmarks. Values are uniform in ±<see cref="WeightHalfRange"/> (norms near 1), enough to
/// exercise every code path; they are not meant to be a model anyone runs.
/// </summary>
internal static class SyntheticLlama
{
    public sealed record Shape(int Hidden, int Intermediate, int Layers, int Heads, int KvHeads, int Vocab);

    /// <summary>Matrices are uniform in ±this (norm weights: 1 ± this).</summary>
    public const float WeightHalfRange = 0.05f;

    public static readonly IReadOnlyDictionary<string, Shape> Shapes = new Dictionary<string, Shape>
    {
        ["tiny"] = new(256, 688, 2, 8, 4, 1024),
        ["1b"] = new(2048, 5632, 22, 32, 4, 32000),
        ["7b"] = new(4096, 11008, 32, 32, 32, 32000),
    };

    /// <summary>The module given outlier input columns when planted: layer 1's mlp.down_proj.</summary>
    public const string OutlierModule = "model.layers.1.mlp.down_proj";

    /// <summary>
    /// Writes the model; <paramref name="planted"/> plants two 4-bit-sensitive modules for <c>thaw analyze</c> to find:
    /// outlier input columns in <see cref="OutlierModule"/> and heavy-tailed weights in the third-last layer's o_proj.
    /// </summary>
    public static void Write(string folder, Shape shape, bool planted = false)
    {
        Directory.CreateDirectory(folder);
        var tensors = TensorsInStateDictOrder(shape);
        var plan = ShardPlan.Create(tensors, 5_000_000_000);
        foreach (var shard in plan.Shards)
        {
            var fileName = plan.IsSharded ? shard.FileName : ShardPlan.SingleFileName;
            using var writer = SafetensorsWriter.Create(Path.Combine(folder, fileName), shard.Tensors, overwrite: true);
            foreach (var tensor in shard.Tensors)
                Fill(writer, tensor, planted ? Plant(tensor.Name, shape) : Planting.None);
            writer.Complete();
        }
        if (plan.IsSharded)
            plan.CreateIndex(tensors.Sum(t => t.ElementCount)).Save(Path.Combine(folder, SafetensorsIndex.FileName), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config(shape).ToJsonString(new() { WriteIndented = true }));
    }

    private static List<TensorInfo> TensorsInStateDictOrder(Shape s)
    {
        var list = new List<TensorInfo> { Info("model.embed_tokens.weight", s.Vocab, s.Hidden) };
        for (var i = 0; i < s.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            foreach (var (module, outFeatures, inFeatures) in Projections(s))
                list.Add(Info($"{p}{module}.weight", outFeatures, inFeatures));
            list.Add(Info(p + "input_layernorm.weight", s.Hidden));
            list.Add(Info(p + "post_attention_layernorm.weight", s.Hidden));
        }
        list.Add(Info("model.norm.weight", s.Hidden));
        list.Add(Info("lm_head.weight", s.Vocab, s.Hidden));
        return list;
    }

    /// <summary>The seven linear layers of every decoder layer (path inside the layer, out and in features).</summary>
    public static IEnumerable<(string Module, int Out, int In)> Projections(Shape s)
    {
        var kvFeatures = s.KvHeads * (s.Hidden / s.Heads);
        yield return ("self_attn.q_proj", s.Hidden, s.Hidden);
        yield return ("self_attn.k_proj", kvFeatures, s.Hidden);
        yield return ("self_attn.v_proj", kvFeatures, s.Hidden);
        yield return ("self_attn.o_proj", s.Hidden, s.Hidden);
        yield return ("mlp.gate_proj", s.Intermediate, s.Hidden);
        yield return ("mlp.up_proj", s.Intermediate, s.Hidden);
        yield return ("mlp.down_proj", s.Hidden, s.Intermediate);
    }

    private static TensorInfo Info(string name, params long[] shape) =>
        new(name, DType.BF16, [.. shape], TensorInfo.TryComputeByteLength(DType.BF16, shape)!.Value);

    /// <summary>The module of the third-last layer given heavy-tailed weights when planted.</summary>
    public static string HeavyTailModule(Shape s) => $"model.layers.{s.Layers - 3}.self_attn.o_proj";

    private enum Planting
    {
        None,
        OutlierColumns,
        HeavyTails,
    }

    private static Planting Plant(string name, Shape s) =>
        name == OutlierModule + ".weight" ? Planting.OutlierColumns : name == HeavyTailModule(s) + ".weight" ? Planting.HeavyTails : Planting.None;

    private static void Fill(SafetensorsWriter writer, TensorInfo tensor, Planting planting)
    {
        const int ChunkElements = 1 << 20;
        var isNorm = tensor.Shape.Length == 1;
        // A stable seed per name (string.GetHashCode is randomized per process), so every run writes the same model.
        var random = new Random(tensor.Name.Aggregate(17, (hash, c) => unchecked((hash * 31) + c)));
        var values = new float[ChunkElements];
        var bits = new ushort[ChunkElements];
        for (long done = 0; done < tensor.ElementCount;)
        {
            var n = (int)Math.Min(ChunkElements, tensor.ElementCount - done);
            for (var i = 0; i < n; i++)
                values[i] = (isNorm ? 1f : 0f) + (float)(random.NextDouble() * 2 - 1) * WeightHalfRange;
            if (planting == Planting.OutlierColumns)
            {
                // Two input columns 30× larger: every block holding one is scaled by it.
                for (var i = 0; i < n; i++)
                {
                    if ((done + i) % tensor.Shape[1] is 5 or 70)
                        values[i] *= 30;
                }
            }
            else if (planting == Planting.HeavyTails)
            {
                // Student-t with 3 degrees of freedom (normal / sqrt(chi²₃ / 3)): heavy tails.
                for (var i = 0; i < n; i++)
                {
                    var chi = (Math.Pow(Gaussian(random), 2) + Math.Pow(Gaussian(random), 2) + Math.Pow(Gaussian(random), 2)) / 3;
                    values[i] = (float)(0.5 * WeightHalfRange * Gaussian(random) / Math.Sqrt(chi));
                }
            }
            FloatConversions.SingleToBFloat16(values.AsSpan(0, n), bits.AsSpan(0, n));
            writer.Write(tensor, done * 2, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits.AsSpan(0, n)));
            done += n;
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static JsonObject Config(Shape s) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = s.Hidden,
        ["intermediate_size"] = s.Intermediate,
        ["num_hidden_layers"] = s.Layers,
        ["num_attention_heads"] = s.Heads,
        ["num_key_value_heads"] = s.KvHeads,
        ["vocab_size"] = s.Vocab,
        ["max_position_embeddings"] = 4096,
        ["rms_norm_eps"] = 1e-5,
        ["tie_word_embeddings"] = false,
        ["torch_dtype"] = "bfloat16",
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
        ["comment"] = "synthetic random weights written by Thaw.Benchmarks for end-to-end timing",
    };
}
