using Thaw.Formats.Gguf;

namespace Thaw.Tests.Gguf;

/// <summary>The ggml type table against the spec's (ggml.h ids, ggml-common.h block sizes and bytes).</summary>
public sealed class GgmlTypesTests
{
    [Theory]
    [InlineData(GgmlType.F32, 0, 1, 4)]
    [InlineData(GgmlType.F16, 1, 1, 2)]
    [InlineData(GgmlType.Q4_0, 2, 32, 18)]
    [InlineData(GgmlType.Q4_1, 3, 32, 20)]
    [InlineData(GgmlType.Q5_0, 6, 32, 22)]
    [InlineData(GgmlType.Q5_1, 7, 32, 24)]
    [InlineData(GgmlType.Q8_0, 8, 32, 34)]
    [InlineData(GgmlType.Q8_1, 9, 32, 36)]
    [InlineData(GgmlType.Q2_K, 10, 256, 84)]
    [InlineData(GgmlType.Q3_K, 11, 256, 110)]
    [InlineData(GgmlType.Q4_K, 12, 256, 144)]
    [InlineData(GgmlType.Q5_K, 13, 256, 176)]
    [InlineData(GgmlType.Q6_K, 14, 256, 210)]
    [InlineData(GgmlType.Q8_K, 15, 256, 292)]
    [InlineData(GgmlType.IQ4_NL, 20, 32, 18)]
    [InlineData(GgmlType.I8, 24, 1, 1)]
    [InlineData(GgmlType.F64, 28, 1, 8)]
    [InlineData(GgmlType.IQ1_M, 29, 256, 56)]
    [InlineData(GgmlType.BF16, 30, 1, 2)]
    [InlineData(GgmlType.TQ1_0, 34, 256, 54)]
    [InlineData(GgmlType.TQ2_0, 35, 256, 66)]
    [InlineData(GgmlType.MXFP4, 39, 32, 17)]
    [InlineData(GgmlType.NVFP4, 40, 64, 36)]
    [InlineData(GgmlType.Q1_0, 41, 128, 18)]
    [InlineData(GgmlType.Q2_0, 42, 64, 18)]
    public void TableMatchesTheSpec(GgmlType type, int id, int block, int bytes)
    {
        Assert.Equal(id, (int)type);
        Assert.True(GgmlTypes.IsKnown(id));
        Assert.Equal((block, bytes), (GgmlTypes.BlockSize(type), GgmlTypes.TypeSize(type)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(36)]
    [InlineData(43)]
    public void RemovedAndUnknownIdsAreNotTypes(int id) => Assert.False(GgmlTypes.IsKnown(id));

    [Theory]
    [InlineData("q8_0", GgmlType.Q8_0)]
    [InlineData("Q4_K", GgmlType.Q4_K)]
    [InlineData("q6_k", GgmlType.Q6_K)]
    [InlineData("BF16", GgmlType.BF16)]
    public void NamesParse(string name, GgmlType expected)
    {
        Assert.True(GgmlTypes.TryParse(name, out var type));
        Assert.Equal(expected, type);
        Assert.Equal(name, GgmlTypes.Name(expected), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void UnknownNamesDoNotParse() => Assert.False(GgmlTypes.TryParse("q4_k_m", out _));

    [Fact]
    public void ByteLengthsFollowTheBlocks()
    {
        Assert.True(GgmlTypes.TryByteLength(GgmlType.Q8_0, [64, 3, 2], out var bytes));
        Assert.Equal(2 * 34 * 3 * 2, bytes);
        Assert.False(GgmlTypes.TryByteLength(GgmlType.Q8_0, [48, 3], out _));
        Assert.False(GgmlTypes.TryByteLength(GgmlType.F32, [1L << 40, 1L << 30], out _));
        Assert.False(GgmlTypes.TryByteLength(GgmlType.F32, [4, -1], out _));
    }

    [Theory]
    [InlineData(0u, "ALL_F32")]
    [InlineData(1u, "MOSTLY_F16")]
    [InlineData(7u, "MOSTLY_Q8_0")]
    [InlineData(15u, "MOSTLY_Q4_K_M")]
    [InlineData(32u, "MOSTLY_BF16")]
    [InlineData(4u, null)]
    [InlineData(1024u, null)]
    public void FileTypeNames(uint value, string? expected) => Assert.Equal(expected, LlamaFileTypes.Name(value));
}
