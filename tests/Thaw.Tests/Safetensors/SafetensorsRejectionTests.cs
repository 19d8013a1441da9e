using System.Text;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;
using static Thaw.Tests.Safetensors.SafetensorsTestFiles;

namespace Thaw.Tests.Safetensors;

/// <summary>One hand-built file per rule of the reference reader (and per stricter rule of ours).</summary>
public sealed class SafetensorsRejectionTests : IDisposable
{
    private const string F32x2 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SafetensorsException Reject(byte[] bytes)
    {
        var path = _folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        return error;
    }

    private SafetensorsFile Accept(byte[] bytes)
    {
        var path = _folder.File("good-" + Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return SafetensorsFile.Open(path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void HeaderTooSmall(int length) =>
        Assert.Equal(SafetensorsError.HeaderTooSmall, Reject(new byte[length]).Reason);

    [Theory]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    [InlineData(100_000_001UL)]
    public void HeaderTooLarge(ulong claimed)
    {
        var error = Reject(Build("{}", 0, claimed));
        Assert.Equal(SafetensorsError.HeaderTooLarge, error.Reason);
        Assert.Contains(claimed.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("100000000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3UL)]
    [InlineData(100_000_000UL)]
    public void HeaderLengthBeyondTheFile(ulong claimed) =>
        Assert.Equal(SafetensorsError.InvalidHeaderLength, Reject(Build("{}", 0, claimed)).Reason);

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]          // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]    // encoded surrogate
    [InlineData(new byte[] { 0xE2, 0x82 })]          // cut sequence
    public void HeaderNotUtf8(byte[] bad)
    {
        var header = Encoding.UTF8.GetBytes("{\"a").Concat(bad).Concat(Encoding.UTF8.GetBytes("\":" + F32x2 + "}")).ToArray();
        Assert.Equal(SafetensorsError.InvalidHeaderUtf8, Reject(Build(header, new byte[8])).Reason);
    }

    public static TheoryData<string, SafetensorsError> BadHeaders() => new()
    {
        { "", SafetensorsError.InvalidHeaderJson },
        { "not json", SafetensorsError.InvalidHeaderJson },
        { "{\"a\":" + F32x2, SafetensorsError.InvalidHeaderJson },
        { "{\"a\":" + F32x2 + "}x", SafetensorsError.InvalidHeaderJson },
        { "{\"a\":" + F32x2 + "} {}", SafetensorsError.InvalidHeaderJson },
        { "{\"a\":" + F32x2 + "}\0\0\0", SafetensorsError.InvalidHeaderJson },
        { "{\"a\":" + F32x2 + ",}", SafetensorsError.InvalidHeaderJson },
        { "{/* c */\"a\":" + F32x2 + "}", SafetensorsError.InvalidHeaderJson },
        { "\uFEFF{\"a\":" + F32x2 + "}", SafetensorsError.InvalidHeaderJson },
        { "[" + F32x2 + "]", SafetensorsError.InvalidHeaderJson },
        { "\"a\"", SafetensorsError.InvalidHeaderJson },
        { "{'a':" + F32x2 + "}", SafetensorsError.InvalidHeaderJson },
        { "{\"\\ud800\":" + F32x2 + "}", SafetensorsError.InvalidHeaderJson },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":\"\\udc00\"}}", SafetensorsError.InvalidHeaderJson },
        { "{\"a\u0001\":" + F32x2 + "}", SafetensorsError.InvalidHeaderJson },

        { "{\"__metadata__\":{\"a\":1},\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":{\"a\":null},\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":{\"a\":{\"b\":\"c\"}},\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":[\"a\"],\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":\"pt\",\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":{\"a\":\"b\",\"a\":\"c\"},\"a\":" + F32x2 + "}", SafetensorsError.InvalidMetadata },
        { "{\"__metadata__\":{},\"a\":" + F32x2 + ",\"__metadata__\":{}}", SafetensorsError.InvalidMetadata },

        { "{\"a\":1}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":[\"F32\",[2],[0,8]]}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidTensorEntry },
        { "{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidTensorEntry },

        { "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,8]}}", SafetensorsError.UnknownDType },
        { "{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.UnknownDType },
        { "{\"a\":{\"dtype\":\"float32\",\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.UnknownDType },

        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-0,2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },
        // Accepted by the Rust reader (usize dimensions, zero elements); Thaw's shapes are signed 64-bit.
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,9223372036854775808],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsError.InvalidShape },

        { "{\"a\":" + F32x2 + ",\"a\":" + F32x2 + "}", SafetensorsError.DuplicateTensor },
        { "{\"a\":" + F32x2 + ",\"\\u0061\":" + F32x2 + "}", SafetensorsError.DuplicateTensor },

        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"begin\":0,\"end\":8}}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", SafetensorsError.InvalidOffset },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", SafetensorsError.InvalidOffset },

        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", SafetensorsError.ValidationOverflow },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", SafetensorsError.ValidationOverflow },
        { "{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551615,2],\"data_offsets\":[0,8]}}", SafetensorsError.ValidationOverflow },

        { "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,8]}}", SafetensorsError.MisalignedSlice },
        { "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", SafetensorsError.MisalignedSlice },

        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", SafetensorsError.TensorInvalidInfo },
        { "{\"a\":{\"dtype\":\"F4\",\"shape\":[8],\"data_offsets\":[0,8]}}", SafetensorsError.TensorInvalidInfo },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,8]}}", SafetensorsError.TensorInvalidInfo },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,8]}}", SafetensorsError.TensorInvalidInfo },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void BadHeaderIsRejected(string header, SafetensorsError reason) =>
        Assert.Equal(reason, Reject(Build(header, 8)).Reason);

    [Fact]
    public void OverlapNamesBothTensors()
    {
        var error = Reject(Build(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        Assert.Equal(SafetensorsError.InvalidOffset, error.Reason);
        Assert.Equal("b", error.TensorName);
        Assert.Contains("overlap tensor 'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GapNamesTheTensorAfterIt()
    {
        var error = Reject(Build(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16));
        Assert.Equal(SafetensorsError.InvalidOffset, error.Reason);
        Assert.Equal("b", error.TensorName);
        Assert.Contains("gap of 4 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameRangeTwiceIsAnOverlap()
    {
        var error = Reject(Build("{\"b\":" + F32x2 + ",\"a\":" + F32x2 + "}", 8));
        Assert.Equal(SafetensorsError.InvalidOffset, error.Reason);
        Assert.Equal("a", error.TensorName);
    }

    [Fact]
    public void UnknownDTypeIsNamed()
    {
        var error = Reject(Build("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16));
        Assert.Equal(SafetensorsError.UnknownDType, error.Reason);
        Assert.Equal("w", error.TensorName);
        Assert.Contains("\"F128\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("BF16", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(1000)]
    public void TrailingBytes(int dataLength) =>
        Assert.Equal(SafetensorsError.MetadataIncompleteBuffer, Reject(Build("{\"a\":" + F32x2 + "}", dataLength)).Reason);

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void TruncatedData(int dataLength) =>
        Assert.Equal(SafetensorsError.MetadataIncompleteBuffer, Reject(Build("{\"a\":" + F32x2 + "}", dataLength)).Reason);

    [Fact]
    public void NoTensorsButData() =>
        Assert.Equal(SafetensorsError.MetadataIncompleteBuffer, Reject(Build("{}", 1)).Reason);

    [Fact]
    public void FileShrinkingAfterOpenIsReportedOnRead()
    {
        var path = _folder.File("shrinks.safetensors");
        File.WriteAllBytes(path, Build("{\"a\":" + F32x2 + "}", 8));
        using var file = SafetensorsFile.Open(path);
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            writer.SetLength(writer.Length - 4);
        Assert.True(file.TryGetTensor("a", out var tensor));
        var error = Assert.Throws<SafetensorsException>(() => file.ReadAll(tensor));
        Assert.Equal(SafetensorsError.TruncatedData, error.Reason);
        Assert.Equal("a", error.TensorName);
    }

    [Fact]
    public void WhatTheRustReaderAcceptsIsAccepted()
    {
        // Leading JSON whitespace, unknown fields (ignored), null metadata, header order differing from data
        // order, zero-sized and scalar tensors, F4 filling whole bytes, escaped names, no padding to 8 bytes.
        const string Header = " \n\t{\"__metadata__\":null," +
            "\"z\":{\"dtype\":\"F4\",\"shape\":[2,2],\"data_offsets\":[12,14],\"extra\":{\"deep\":[1,{\"x\":null}]}}," +
            "\"caf\\u00e9\":{\"shape\":[],\"data_offsets\":[8,12],\"dtype\":\"I32\"}," +
            "\"empty\":{\"dtype\":\"BF16\",\"shape\":[0,5],\"data_offsets\":[8,8]}," +
            "\"a\":" + F32x2 + "}\r\n  ";
        using var file = Accept(Build(Header, 14));
        Assert.Empty(file.Metadata);
        Assert.Equal(["a", "empty", "café", "z"], file.Tensors.Select(t => t.Name));
        Assert.Equal([0L, 5L], file.Tensors[1].Shape.ToArray());
        Assert.Empty(file.Tensors[2].Shape);
        Assert.Equal(DType.F4, file.Tensors[3].DType);
        Assert.Equal(2, file.Tensors[3].ByteLength);
        Assert.Equal(Build(Header, 14)[(int)(file.DataStart + 12)..], file.ReadAll(file.Tensors[3]));
        Assert.Empty(file.ReadAll(file.Tensors[1]));
    }

    [Fact]
    public void EmptyFileWithMetadataOnly()
    {
        using var file = Accept(Build("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"\\u00fcber \\\"x\\\"\"}}  ", 0));
        Assert.Empty(file.Tensors);
        Assert.Equal("über \"x\"", file.Metadata["note"]);
    }
}
