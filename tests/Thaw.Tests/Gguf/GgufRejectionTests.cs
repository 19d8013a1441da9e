using Thaw.Formats.Gguf;

namespace Thaw.Tests.Gguf;

/// <summary>One hand-built file per rule of ggml's reader (the cases of llama.cpp's tests/test-gguf.cpp and more).</summary>
public sealed class GgufRejectionTests : IDisposable
{
    private const uint F32 = 0;
    private const uint StringType = 8;
    private const uint ArrayType = 9;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private GgufException Reject(GgufBytes bytes, GgufError reason)
    {
        var path = _folder.File("bad-" + Guid.NewGuid().ToString("N") + ".gguf");
        File.WriteAllBytes(path, bytes.ToArray());
        var error = Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(reason, error.Reason);
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        return error;
    }

    private GgufFile Accept(GgufBytes bytes)
    {
        var path = _folder.File("good-" + Guid.NewGuid().ToString("N") + ".gguf");
        File.WriteAllBytes(path, bytes.ToArray());
        return GgufFile.Open(path);
    }

    /// <summary>One F32 tensor of 32 elements at offset 0, with its data.</summary>
    private static GgufBytes OneTensor(string name = "a", ulong[]? ne = null, uint type = F32, ulong offset = 0, int data = 128) =>
        GgufBytes.Header(1, 0).Tensor(name, ne ?? [32], type, offset).Align().Zeros(data);

    [Fact]
    public void MinimalFilesAreAccepted()
    {
        using (var empty = Accept(GgufBytes.Header(0, 0)))
            Assert.Empty(empty.Tensors);
        using (var v2 = Accept(GgufBytes.Header(0, 1, version: 2).KvStr("general.architecture", "llama")))
            Assert.Equal("llama", v2.Architecture);
        using var one = Accept(OneTensor());
        Assert.Equal(64, one.DataStart); // 24-byte header + 33-byte tensor info, padded to 32
    }

    [Theory]
    [InlineData("GGML")]
    [InlineData("GGJT")]
    [InlineData("FUGG")]
    [InlineData("GG")]
    [InlineData("")]
    public void BadMagic(string magic) =>
        Reject(new GgufBytes().Raw(System.Text.Encoding.ASCII.GetBytes(magic)).U32(3).U64(0).U64(0), GgufError.BadMagic);

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0x03000000u)]
    public void BadVersion(uint version) => Reject(GgufBytes.Header(0, 0, version), GgufError.UnsupportedVersion);

    [Fact]
    public void BigEndianFileIsNamedAsSuch() =>
        Assert.Contains("big-endian", Reject(GgufBytes.Header(0, 0, 0x03000000), GgufError.UnsupportedVersion).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(23)]
    public void TruncatedHeader(int length)
    {
        var full = GgufBytes.Header(0, 0).ToArray();
        Reject(new GgufBytes().Raw(full.AsSpan(0, length)), GgufError.Truncated);
    }

    [Fact]
    public void TruncatedKeyValue()
    {
        var full = GgufBytes.Header(0, 1).KvU32("llama.block_count", 2).ToArray();
        Reject(new GgufBytes().Raw(full.AsSpan(0, full.Length - 2)), GgufError.Truncated);
    }

    [Fact]
    public void TruncatedBeforeTheDataSection() =>
        Reject(GgufBytes.Header(1, 0).Tensor("a", [32], F32, 0), GgufError.Truncated);

    [Theory]
    [InlineData(1UL << 40, 0UL)]
    [InlineData(0UL, 1UL << 40)]
    [InlineData(ulong.MaxValue, 0UL)]
    [InlineData(0UL, ulong.MaxValue)]
    [InlineData(2UL, 0UL)]
    public void CountsTheFileCannotHold(ulong tensors, ulong keyValues)
    {
        var error = Reject(GgufBytes.Header(tensors, keyValues).Zeros(40), GgufError.CountTooLarge);
        Assert.Contains("cannot fit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1UL << 60)]
    [InlineData(ulong.MaxValue)]
    [InlineData((1UL << 30) + 1)]
    [InlineData(100UL)]
    public void StringLengthBeyondTheFileOrTheLimit(ulong length)
    {
        // As a key and as a value.
        Reject(GgufBytes.Header(0, 1).U64(length).Raw("abc"u8).Zeros(16), GgufError.StringTooLong);
        var error = Reject(GgufBytes.Header(0, 1).Str("general.name").U32(StringType).U64(length).Raw("abc"u8).Zeros(16), GgufError.StringTooLong);
        Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StringType, 1UL << 60)]
    [InlineData(F32 + 6, 1UL << 62)]
    [InlineData(4u, 1000UL)]
    [InlineData(ArrayType, 1UL << 40)]
    public void ArrayLengthBeyondTheFile(uint elementType, ulong count) =>
        Reject(GgufBytes.Header(0, 1).Str("tokenizer.ggml.tokens").U32(ArrayType).U32(elementType).U64(count).Zeros(16), GgufError.CountTooLarge);

    [Fact]
    public void ArrayAboveTheLimitIsRefusedEvenWhenTheFileCouldHoldIt()
    {
        // A sparse 2 GiB file: the count fits in the file, but not under the 1 GiB per-array limit.
        var path = _folder.File("sparse.gguf");
        File.WriteAllBytes(path, GgufBytes.Header(0, 1).Str("k").U32(ArrayType).U32(0).U64((1UL << 30) + 1).ToArray());
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(1L << 31);
        var error = Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(GgufError.CountTooLarge, error.Reason);
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(13u)]
    [InlineData(0xFFFFFFFFu)]
    public void UnknownValueType(uint type) =>
        Reject(GgufBytes.Header(0, 1).Str("k").U32(type).U32(0), GgufError.UnknownValueType);

    [Fact]
    public void UnknownArrayElementType() =>
        Reject(GgufBytes.Header(0, 1).Str("k").U32(ArrayType).U32(99).U64(1).U32(0), GgufError.UnknownValueType);

    [Fact]
    public void EmptyKey() => Reject(GgufBytes.Header(0, 1).Str("").U32(4).U32(0), GgufError.EmptyKey);

    [Fact]
    public void KeyThatIsNotUtf8() => Reject(GgufBytes.Header(0, 1).Str([0xC3, 0x28]).U32(4).U32(0), GgufError.InvalidUtf8);

    [Fact]
    public void DuplicateKeys()
    {
        var error = Reject(GgufBytes.Header(0, 2).KvU32("llama.block_count", 2).KvU32("llama.block_count", 3), GgufError.DuplicateKey);
        Assert.Contains("'llama.block_count'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestedArraysAreReadButNotDeeperThanTheLimit()
    {
        // [[1, 2], []] of uint32: the spec allows it, so the reader keeps it.
        using (var file = Accept(GgufBytes.Header(0, 1).Str("k").U32(ArrayType).U32(ArrayType).U64(2)
                   .U32(4).U64(2).U32(1).U32(2).U32(4).U64(0)))
        {
            var outer = file.Metadata.Get("k").AsArrayArray();
            Assert.Equal([1u, 2u], outer[0].AsUInt32Array().ToArray());
            Assert.Equal(0, outer[1].Length);
        }
        var deep = GgufBytes.Header(0, 1).Str("k").U32(ArrayType);
        for (var i = 0; i < 20; i++)
            deep.U32(ArrayType).U64(1);
        Reject(deep.U32(4).U64(0), GgufError.NestingTooDeep);
    }

    [Fact]
    public void AlignmentOfTheWrongType() =>
        Reject(GgufBytes.Header(0, 1).Str("general.alignment").U32(10).U64(32), GgufError.InvalidAlignment);

    [Theory]
    [InlineData(0u)]
    [InlineData(33u)]
    [InlineData(48u)]
    public void AlignmentThatIsNotAPowerOfTwo(uint alignment) =>
        Reject(GgufBytes.Header(0, 1).KvU32("general.alignment", alignment), GgufError.InvalidAlignment);

    [Fact]
    public void CustomAlignmentIsUsed()
    {
        using var file = Accept(GgufBytes.Header(1, 1).KvU32("general.alignment", 256).Tensor("a", [32], F32, 0).Align(256).Zeros(256));
        Assert.Equal(256, file.Alignment);
        Assert.Equal(256, file.DataStart);
    }

    [Fact]
    public void TensorNameOf64Bytes()
    {
        using (Accept(OneTensor(new string('n', 63)))) { }
        Reject(OneTensor(new string('n', 64)), GgufError.TensorNameTooLong);
    }

    [Fact]
    public void DuplicateTensors()
    {
        var error = Reject(GgufBytes.Header(2, 0).Tensor("blk.0.attn_q.weight", [32], F32, 0).Tensor("blk.0.attn_q.weight", [32], F32, 128).Align().Zeros(256),
            GgufError.DuplicateTensor);
        Assert.Equal("blk.0.attn_q.weight", error.TensorName);
    }

    [Fact]
    public void FiveDimensions() => Reject(OneTensor(ne: [32, 1, 1, 1, 1]), GgufError.TooManyDimensions);

    [Theory]
    [InlineData(1UL << 63, 1UL)]
    [InlineData(32UL, 1UL << 62)]
    [InlineData(1UL << 40, 1UL << 40)]
    public void ShapeThatOverflows(ulong ne0, ulong ne1) => Reject(OneTensor(ne: [ne0, ne1]), GgufError.InvalidShape);

    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(31u)]
    [InlineData(43u)]
    [InlineData(1000u)]
    public void UnknownTensorType(uint type)
    {
        var error = Reject(OneTensor(type: type), GgufError.UnknownTensorType);
        Assert.Contains(type.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8u, 33UL)]
    [InlineData(12u, 32UL)]
    [InlineData(14u, 128UL)]
    public void RowNotAWholeNumberOfBlocks(uint type, ulong ne0) => Reject(OneTensor(ne: [ne0], type: type), GgufError.RowNotBlockAligned);

    [Fact]
    public void MisalignedOffset() => Reject(OneTensor(offset: 16, data: 256), GgufError.MisalignedOffset);

    [Theory]
    [InlineData(1UL << 40)]
    [InlineData(0xFFFF_FFFF_FFFF_FFE0UL)]
    [InlineData(128UL)]
    public void OffsetPastTheEnd(ulong offset)
    {
        var error = Reject(OneTensor(offset: offset), GgufError.DataOutOfBounds);
        Assert.Equal("a", error.TensorName);
    }

    [Fact]
    public void DataShorterThanTheTensor() => Reject(OneTensor(data: 127), GgufError.DataOutOfBounds);

    [Fact]
    public void OverlappingTensors() =>
        Reject(GgufBytes.Header(2, 0).Tensor("a", [32], F32, 0).Tensor("b", [32], F32, 0).Align().Zeros(256), GgufError.UnexpectedOffset);

    [Fact]
    public void GapBetweenTensors() =>
        Reject(GgufBytes.Header(2, 0).Tensor("a", [32], F32, 0).Tensor("b", [32], F32, 256).Align().Zeros(512), GgufError.UnexpectedOffset);

    [Fact]
    public void TensorsOutOfOrder() =>
        Reject(GgufBytes.Header(2, 0).Tensor("a", [32], F32, 128).Tensor("b", [32], F32, 0).Align().Zeros(256), GgufError.UnexpectedOffset);
}
