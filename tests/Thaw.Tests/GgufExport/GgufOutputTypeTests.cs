using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;

namespace Thaw.Tests.GgufExport;

/// <summary>
/// The per-tensor types against llama.cpp's llama_tensor_get_type / tensor_type_fallback (src/llama-quant.cpp) for
/// llama-like models without experts. Dimensions are ggml's (ne0 = row length first).
/// </summary>
public sealed class GgufOutputTypeTests
{
    private static GgmlType Type(GgufOutputType type, string name, long ne0 = 4096, int layers = 32, bool isOutput = false, bool is70B = false) =>
        GgufOutputTypes.TensorType(type, name, [ne0, 1024], layers, isOutput, is70B);

    [Theory]
    [InlineData(GgufOutputType.Q4_0)]
    [InlineData(GgufOutputType.Q4_K_M)]
    [InlineData(GgufOutputType.Q8_0)]
    [InlineData(GgufOutputType.F16)]
    public void OneDimensionalTensorsAndNormsStayF32(GgufOutputType type)
    {
        Assert.Equal(GgmlType.F32, GgufOutputTypes.TensorType(type, "blk.0.attn_norm.weight", [4096], 32, false));
        Assert.Equal(GgmlType.F32, GgufOutputTypes.TensorType(type, "output_norm.weight", [4096], 32, false));
        Assert.Equal(GgmlType.F32, GgufOutputTypes.TensorType(type, "blk.0.attn_q.bias", [4096], 32, false));
    }

    [Theory]
    [InlineData(GgufOutputType.Q4_0, GgmlType.Q6_K)]
    [InlineData(GgufOutputType.Q4_K_M, GgmlType.Q6_K)]
    [InlineData(GgufOutputType.Q6_K, GgmlType.Q6_K)]
    [InlineData(GgufOutputType.Q8_0, GgmlType.Q8_0)]
    public void OutputAndTiedTokenEmbdAreQ6_KUnlessTheFtypeIsQ8_0(GgufOutputType type, GgmlType expected)
    {
        Assert.Equal(expected, Type(type, "output.weight", isOutput: true));
        Assert.Equal(expected, Type(type, "token_embd.weight", isOutput: true)); // no output.weight: has_tied_embeddings
    }

    [Theory]
    [InlineData(GgufOutputType.Q4_0, GgmlType.Q4_0)]
    [InlineData(GgufOutputType.Q4_K_M, GgmlType.Q4_K)]
    [InlineData(GgufOutputType.Q6_K, GgmlType.Q6_K)]
    [InlineData(GgufOutputType.Q8_0, GgmlType.Q8_0)]
    public void UntiedTokenEmbdKeepsTheDefaultType(GgufOutputType type, GgmlType expected) =>
        Assert.Equal(expected, Type(type, "token_embd.weight"));

    [Theory]
    [InlineData(GgufOutputType.Q4_0)]
    [InlineData(GgufOutputType.Q4_K_M)]
    [InlineData(GgufOutputType.Q6_K)]
    public void OutputWithRowsNotWholeQ6_KBlocksIsQ8_0(GgufOutputType type) =>
        Assert.Equal(GgmlType.Q8_0, Type(type, "output.weight", ne0: 896, isOutput: true)); // Qwen2-0.5B's n_embd

    [Theory]
    [InlineData("attn_q")]
    [InlineData("attn_k")]
    [InlineData("attn_output")]
    [InlineData("ffn_gate")]
    [InlineData("ffn_up")]
    public void Q4_K_MKeepsQ4_KForTensorsWithoutALayerRule(string tensor)
    {
        for (var layer = 0; layer < 32; layer++)
            Assert.Equal(GgmlType.Q4_K, Type(GgufOutputType.Q4_K_M, $"blk.{layer}.{tensor}.weight"));
    }

    [Theory]
    [InlineData("attn_v", 32, new[] { 0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31 })]
    [InlineData("ffn_down", 32, new[] { 0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31 })]
    [InlineData("attn_v", 22, new[] { 0, 1, 4, 7, 10, 13, 16, 19, 20, 21 })] // n/8 = 2, 7n/8 = 19
    [InlineData("ffn_down", 2, new[] { 1 })] // n/8 = 0, 7n/8 = 1
    [InlineData("attn_v", 1, new[] { 0 })]   // 7n/8 = 0: the only layer is "last"
    public void Q4_K_MGivesQ6_KToAttnVAndFfnDownWhereUseMoreBits(string tensor, int layers, int[] q6Layers)
    {
        for (var layer = 0; layer < layers; layer++)
        {
            var expected = q6Layers.Contains(layer) ? GgmlType.Q6_K : GgmlType.Q4_K;
            Assert.Equal(expected, Type(GgufOutputType.Q4_K_M, $"blk.{layer}.{tensor}.weight", layers: layers));
        }
    }

    [Theory]
    [InlineData(GgufOutputType.Q4_0, GgmlType.Q4_0)]
    [InlineData(GgufOutputType.Q6_K, GgmlType.Q6_K)]
    [InlineData(GgufOutputType.Q8_0, GgmlType.Q8_0)]
    public void Q4_0Q6_KAndQ8_0HaveNoLayerRulesWithoutAnImatrix(GgufOutputType type, GgmlType expected)
    {
        foreach (var tensor in new[] { "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down" })
        {
            for (var layer = 0; layer < 8; layer++)
                Assert.Equal(expected, Type(type, $"blk.{layer}.{tensor}.weight", layers: 8));
        }
    }

    [Fact]
    public void Q4_K_MOn70BGivesAttnVQ5_KWhereItWouldBeQ4_K()
    {
        Assert.Equal(GgmlType.Q5_K, Type(GgufOutputType.Q4_K_M, "blk.20.attn_v.weight", ne0: 8192, layers: 80, is70B: true));
        Assert.Equal(GgmlType.Q6_K, Type(GgufOutputType.Q4_K_M, "blk.0.attn_v.weight", ne0: 8192, layers: 80, is70B: true));
        Assert.Equal(GgmlType.Q4_K, Type(GgufOutputType.Q4_K_M, "blk.20.ffn_down.weight", ne0: 8192, layers: 80, is70B: true));
        Assert.Equal(GgmlType.Q4_K, Type(GgufOutputType.Q4_K_M, "blk.20.attn_k.weight", ne0: 8192, layers: 80, is70B: true));
        Assert.Equal(GgmlType.Q4_K, Type(GgufOutputType.Q4_K_M, "blk.20.attn_v.weight", ne0: 8192, layers: 80, is70B: false));
    }

    [Theory]
    [InlineData("llama", 80, 64, 8, true)]    // Llama-2/3 70B
    [InlineData("llama", 80, 64, 64, false)]  // LLaMA-1 65B
    [InlineData("qwen2", 80, 64, 8, true)]
    [InlineData("llama", 32, 32, 8, false)]
    [InlineData("gemma", 80, 64, 8, false)]
    public void LlamaCppLabels70BByLayerCountAndForLlamaGroupedQueryAttention(string arch, int layers, int heads, int kvHeads, bool expected) =>
        Assert.Equal(expected, GgufOutputTypes.IsLlamaCpp70B(arch, layers, heads, kvHeads));

    [Theory]
    [InlineData(GgufOutputType.Q4_K_M, "blk.5.attn_q.weight", 896, GgmlType.Q5_0)]   // Q4_K → Q5_0
    [InlineData(GgufOutputType.Q4_K_M, "blk.0.ffn_down.weight", 896, GgmlType.Q8_0)] // Q6_K → Q8_0
    [InlineData(GgufOutputType.Q6_K, "blk.5.attn_q.weight", 896, GgmlType.Q8_0)]
    [InlineData(GgufOutputType.Q4_K_M, "blk.5.attn_q.weight", 80, GgmlType.F16)]     // Q5_0 still not whole blocks
    [InlineData(GgufOutputType.Q6_K, "blk.5.attn_q.weight", 80, GgmlType.F16)]
    [InlineData(GgufOutputType.Q4_0, "blk.5.attn_q.weight", 80, GgmlType.F16)]
    [InlineData(GgufOutputType.Q8_0, "blk.5.attn_q.weight", 80, GgmlType.F16)]
    [InlineData(GgufOutputType.Q4_0, "output.weight", 896, GgmlType.Q8_0)]
    public void TensorTypeFallbackWhenRowsAreNotWholeBlocks(GgufOutputType type, string name, long ne0, GgmlType expected) =>
        Assert.Equal(expected, Type(type, name, ne0: ne0, isOutput: name == "output.weight"));

    [Fact]
    public void TensorTypeFallbackOfQ5_KIsQ5_1()
    {
        Assert.Equal(GgmlType.Q5_1, Type(GgufOutputType.Q4_K_M, "blk.20.attn_v.weight", ne0: 896, layers: 80, is70B: true));
        Assert.Equal(GgmlType.F16, Type(GgufOutputType.Q4_K_M, "blk.20.attn_v.weight", ne0: 80, layers: 80, is70B: true));
    }
}
