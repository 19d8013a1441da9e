using Thaw.Tensors;
using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>
/// spec/peft-lora.md §3.1-3.5, §3.9 on hand-built tiny models: small integers with alpha/r = 2, so every expected value
/// is exact and W' = W + s·ΔW in the layout each layer type stores.
/// </summary>
public sealed class MergeClosedFormTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private const string K = "model.layers.0.self_attn.k_proj";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly float[] W = Ramp(16, 8);
    private static readonly float[] A = Ramp(8, 3);
    private static readonly float[] B = Ramp(8, 4);

    private string LlamaBase(params Thaw.Tests.Models.TestWeights.Tensor[] extra) =>
        Folder(temp, "base", LlamaConfig(), [F32($"{Q}.weight", [4, 4], W), F32($"{K}.weight", [4, 4], W), .. extra]);

    private static Models.TestWeights.Tensor[] Lora(string module, float[] a, float[] b, int r, int inFeatures = 4, int outFeatures = 4) =>
    [
        F32($"base_model.model.{module}.lora_A.weight", [r, inFeatures], a),
        F32($"base_model.model.{module}.lora_B.weight", [outFeatures, r], b),
    ];

    private Dictionary<string, Read> Merge(string baseFolder, params (string Folder, double Weight)[] adapters)
    {
        var output = temp.File("out");
        MergeRuns.Merge(baseFolder, output, adapters);
        return ReadTensors(output);
    }

    [Fact]
    public void LinearAddsScaledBTimesA()
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(2, 4, """["q_proj"]"""), Lora(Q, A, B, 2));
        var merged = Merge(LlamaBase(), (adapter, 1));
        var q = merged[$"{Q}.weight"];
        Assert.Equal(DType.F32, q.DType);
        Assert.Equal([4L, 4], q.Shape);
        Assert.Equal(Plus(W, MatMul(B, A, 4, 2, 4), 2), q.Values);
        Assert.Equal(W, merged[$"{K}.weight"].Values);
    }

    [Fact]
    public void RsLoraScalesByAlphaOverTheSquareRootOfR()
    {
        float[] a = Ramp(16, 5);
        float[] b = Ramp(16, 9);
        // r 4, alpha 4: rslora s = 4/√4 = 2 (plain LoRA would be 1).
        var adapter = Adapter(temp, "adapter", AdapterConfig(4, 4, """["q_proj"]""", """, "use_rslora": true"""), Lora(Q, a, b, 4));
        var merged = Merge(LlamaBase(), (adapter, 1));
        Assert.Equal(Plus(W, MatMul(b, a, 4, 4, 4), 2), merged[$"{Q}.weight"].Values);
    }

    [Fact]
    public void RankAndAlphaPatternsSetEachModulesScaling()
    {
        // q: r 2, alpha 4 → 2. k: rank_pattern r 1, alpha_pattern 8 → 8.
        float[] a1 = [1, -1, 2, 0];
        float[] b1 = [1, 0, -2, 1];
        var config = AdapterConfig(2, 4, """["q_proj", "k_proj"]""", """, "rank_pattern": {"k_proj": 1}, "alpha_pattern": {"k_proj": 8}""");
        var adapter = Adapter(temp, "adapter", config, [.. Lora(Q, A, B, 2), .. Lora(K, a1, b1, 1)]);
        var merged = Merge(LlamaBase(), (adapter, 1));
        Assert.Equal(Plus(W, MatMul(B, A, 4, 2, 4), 2), merged[$"{Q}.weight"].Values);
        Assert.Equal(Plus(W, MatMul(b1, a1, 4, 1, 4), 8), merged[$"{K}.weight"].Values);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gpt2Conv1DAddsTheTransposedDeltaWhateverFanInFanOutSays(bool fanInFanOut)
    {
        // c_attn stored [in 4, out 8]; A [r 2, in 4], B [out 8, r 2]; ΔW = (B@A)ᵀ.
        const string module = "transformer.h.0.attn.c_attn";
        var w = Ramp(32, 16);
        var b = Ramp(16, 7);
        var baseFolder = Folder(temp, "base", Gpt2Config, F32("transformer.wte.weight", [6, 4], Ramp(24)), F32($"{module}.weight", [4, 8], w));
        var config = AdapterConfig(2, 4, """["c_attn"]""", $$""", "fan_in_fan_out": {{(fanInFanOut ? "true" : "false")}}""");
        var adapter = Adapter(temp, "adapter", config, Lora(module, A, b, 2, inFeatures: 4, outFeatures: 8));
        var merged = Merge(baseFolder, (adapter, 1));
        var c = merged[$"{module}.weight"];
        Assert.Equal(new long[] { 4, 8 }, c.Shape);
        Assert.Equal(Plus(w, Transpose(MatMul(b, A, 8, 2, 4), 8, 4), 2), c.Values);
    }

    [Fact]
    public void EmbeddingAddsTheTransposedProductOfLoraEmbeddingBAndA()
    {
        // embed [vocab 6, dim 4]; lora_embedding_A [r 2, vocab 6], lora_embedding_B [dim 4, r 2]; ΔW = (B@A)ᵀ [6, 4].
        const string embedding = "model.embed_tokens";
        var e = Ramp(24, 12);
        var a = Ramp(12, 6);
        var baseFolder = LlamaBase(F32($"{embedding}.weight", [6, 4], e));
        var adapter = Adapter(temp, "adapter", AdapterConfig(2, 4, """["embed_tokens"]"""),
            F32($"base_model.model.{embedding}.lora_embedding_A", [2, 6], a), F32($"base_model.model.{embedding}.lora_embedding_B", [4, 2], B));
        var merged = Merge(baseFolder, (adapter, 1));
        Assert.Equal(Plus(e, Transpose(MatMul(B, a, 4, 2, 6), 4, 6), 2), merged[$"{embedding}.weight"].Values);
    }

    [Fact]
    public void Conv2dAddsBTimesAOverEveryKernelPosition()
    {
        // weight [out 2, in 2, 3, 3]; A [r 2, in 2, 3, 3], B [out 2, r 2, 1, 1]: Δ[o, i, k] = Σ_j B[o, j]·A[j, i, k].
        const string conv = "model.patch.conv";
        var w = Ramp(36, 18);
        var a = Ramp(36, 20);
        float[] b = [1, -2, 3, 1];
        var baseFolder = LlamaBase(F32($"{conv}.weight", [2, 2, 3, 3], w));
        var adapter = Adapter(temp, "adapter", AdapterConfig(2, 4, """["conv"]"""),
            F32($"base_model.model.{conv}.lora_A.weight", [2, 2, 3, 3], a), F32($"base_model.model.{conv}.lora_B.weight", [2, 2, 1, 1], b));
        var merged = Merge(baseFolder, (adapter, 1));
        var c = merged[$"{conv}.weight"];
        Assert.Equal(new long[] { 2, 2, 3, 3 }, c.Shape);
        Assert.Equal(Plus(w, MatMul(b, a, 2, 2, 18), 2), c.Values);
    }

    [Fact]
    public void LoraBiasAddsScaledLoraBBiasToTheBias()
    {
        float[] bias = [1, 2, 3, 4];
        float[] loraBias = [-1, 0.5f, 2, -3];
        var baseFolder = LlamaBase(F32($"{Q}.bias", [4], bias));
        var adapter = Adapter(temp, "adapter", AdapterConfig(2, 4, """["q_proj"]""", """, "lora_bias": true"""),
            [.. Lora(Q, A, B, 2), F32($"base_model.model.{Q}.lora_B.bias", [4], loraBias)]);
        var merged = Merge(baseFolder, (adapter, 1));
        Assert.Equal([-1f, 3, 7, -2], merged[$"{Q}.bias"].Values);
        Assert.Equal(Plus(W, MatMul(B, A, 4, 2, 4), 2), merged[$"{Q}.weight"].Values);
    }

    [Fact]
    public void TwoAdaptersAddEachDeltaTimesItsWeight()
    {
        float[] a2 = [1, 0, -1, 2];
        float[] b2 = [2, 1, 0, -1];
        var first = Adapter(temp, "first", AdapterConfig(2, 4, """["q_proj"]"""), Lora(Q, A, B, 2));
        var second = Adapter(temp, "second", AdapterConfig(1, 4, """["q_proj"]"""), Lora(Q, a2, b2, 1));
        var merged = Merge(LlamaBase(), (first, 0.5), (second, 1));
        // W + 0.5·2·B1A1 + 4·B2A2.
        var expected = Plus(Plus(W, MatMul(B, A, 4, 2, 4), 1), MatMul(b2, a2, 4, 1, 4), 4);
        Assert.Equal(expected, merged[$"{Q}.weight"].Values);
    }

    [Fact]
    public void Bf16BaseRoundsTheF32SumOnce()
    {
        // W = 1 in bf16 (step 2^-7 there); s·B·A = 2·0.5·A = A, computed in float32 and added before the one rounding.
        var baseFolder = Folder(temp, "base", LlamaConfig(), Bf16($"{Q}.weight", [1, 2], 1, 1));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 2], 1f / 256, 1f / 256 + 1f / 512), F32($"base_model.model.{Q}.lora_B.weight", [1, 1], 0.5f));
        var merged = Merge(baseFolder, (adapter, 1));
        var q = merged[$"{Q}.weight"];
        Assert.Equal(DType.BF16, q.DType);
        // 1 + 2^-8 is a tie between 1 and 1 + 2^-7 (rounds to even: 1); 1 + 2^-8 + 2^-9 rounds up.
        Assert.Equal([1f, 1 + 1f / 128], q.Values);
    }
}
