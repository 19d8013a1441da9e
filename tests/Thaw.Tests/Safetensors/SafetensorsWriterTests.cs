using System.Text;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.IO;
using Thaw.Tensors;

namespace Thaw.Tests.Safetensors;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> FixtureFiles() => [.. SafetensorsTestFiles.AllFixtureSafetensors()];

    /// <summary>
    /// Rewriting every tensor of a file written by the Python safetensors 0.8.0 writer, given in a shuffled order
    /// and with the data copied in shuffled chunks from parallel workers, reproduces the file byte for byte:
    /// same tensor order (dtype descending, then name), same compact header, same padding.
    /// </summary>
    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void RewritingAFixtureIsByteIdentical(string relativePath)
    {
        var source = SafetensorsTestFiles.Fixture(relativePath);
        var output = _folder.File("out.safetensors");
        using (var file = SafetensorsFile.Open(source))
        {
            var random = new Random(relativePath.Length);
            var shuffled = file.Tensors.OrderBy(_ => random.Next()).ToList();
            using var writer = SafetensorsWriter.Create(output, shuffled, file.Metadata);
            var chunks = file.Tensors
                .SelectMany(t => Enumerable.Range(0, (int)((t.ByteLength + 999) / 1000)).Select(c => (Tensor: t, Offset: c * 1000L)))
                .OrderBy(_ => random.Next())
                .ToList();
            Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, chunk =>
            {
                var buffer = new byte[Math.Min(1000, chunk.Tensor.ByteLength - chunk.Offset)];
                file.ReadBytes(chunk.Tensor, chunk.Offset, buffer);
                writer.Write(chunk.Tensor, chunk.Offset, buffer);
            });
            Assert.False(File.Exists(output));
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(output));
        Assert.Equal(["out.safetensors"], _folder.Entries());
    }

    [Fact]
    public void HeaderIsCompactSerdeJsonPaddedWithSpaces()
    {
        // Expected bytes written by hand from serde_json's rules: compact, UTF-8 kept, '"' '\' and controls
        // escaped (\n short, others \u00xx lowercase), 0x7f and non-ASCII raw; padded to 8 + N = 0 mod 8.
        TensorInfo[] tensors =
        [
            new("b\"q\\\n\u0001\u007fé", DType.U8, [3], 3),
            new("a", DType.F32, [], 4),
        ];
        var layout = SafetensorsLayout.Create(tensors, [new("format", "pt"), new("k\t", "v\u001f")]);
        const string Json = "{\"__metadata__\":{\"format\":\"pt\",\"k\\t\":\"v\\u001f\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}," +
            "\"b\\\"q\\\\\\n\\u0001\u007fé\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[4,7]}}";
        var jsonBytes = Encoding.UTF8.GetBytes(Json);
        var padded = (jsonBytes.Length + 7) / 8 * 8;
        var expected = BitConverter.GetBytes((ulong)padded).Concat(jsonBytes).Concat(Enumerable.Repeat((byte)' ', padded - jsonBytes.Length)).ToArray();
        Assert.Equal(expected, layout.Prefix.ToArray());
        Assert.Equal(8 + padded + 7, layout.FileLength);
        Assert.Equal(4, layout.GetDataOffset(tensors[0].Name));
    }

    [Fact]
    public void TensorsSortByDTypeDescendingThenByCodePoint()
    {
        // Rust compares names as UTF-8 bytes: U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80), although
        // its UTF-16 code unit is larger than the surrogate D83D.
        var layout = SafetensorsLayout.Create(
        [
            new TensorInfo("\U0001F600", DType.BF16, [1], 2),
            new TensorInfo("\uFFFD", DType.BF16, [1], 2),
            new TensorInfo("z", DType.U8, [1], 1),
            new TensorInfo("b", DType.F32, [1], 4),
            new TensorInfo("a", DType.Bool, [1], 1),
            new TensorInfo("c", DType.I64, [1], 8),
        ]);
        Assert.Equal(["c", "b", "\uFFFD", "\U0001F600", "z", "a"], layout.Tensors.Select(t => t.Name));
        Assert.Equal([0L, 8, 12, 14, 16, 17], layout.Tensors.Select(t => layout.GetDataOffset(t.Name)));
    }

    [Fact]
    public void NoTensorsAndNoMetadata()
    {
        var path = _folder.File("empty.safetensors");
        using (var writer = SafetensorsWriter.Create(path, [], []))
            writer.Complete();
        Assert.Equal("\b\0\0\0\0\0\0\0{}      "u8.ToArray(), File.ReadAllBytes(path));
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void ZeroSizedTensorsNeedNoWrite()
    {
        var path = _folder.File("zero.safetensors");
        using (var writer = SafetensorsWriter.Create(path, [new TensorInfo("a", DType.F32, [0, 4], 0), new TensorInfo("b", DType.U8, [2], 2)]))
        {
            writer.Write("b", 0, [7, 9]);
            writer.Complete();
        }
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, file.Metadata);
        Assert.Equal([7, 9], file.ReadAll(file.Tensors.Single(t => t.Name == "b")));
    }

    [Fact]
    public void IncompleteWriteFailsAndLeavesNothing()
    {
        var path = _folder.File("model.safetensors");
        using (var writer = SafetensorsWriter.Create(path, [new TensorInfo("a", DType.F32, [4], 16), new TensorInfo("b", DType.F32, [2], 8)]))
        {
            writer.Write("a", 0, new byte[8]);
            writer.Write("a", 12, new byte[4]);
            writer.Write("b", 0, new byte[8]);
            var error = Assert.Throws<SafetensorsException>(writer.Complete);
            Assert.Equal(SafetensorsError.IncompleteWrite, error.Reason);
            Assert.Equal("a", error.TensorName);
            Assert.Contains("12 of 16 bytes", error.Message, StringComparison.Ordinal);
            Assert.Contains("first missing byte: 8", error.Message, StringComparison.Ordinal);
        }
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void OverlappingWriteIsRefused()
    {
        using var writer = SafetensorsWriter.Create(_folder.File("x.safetensors"), [new TensorInfo("a", DType.U8, [10], 10)]);
        writer.Write("a", 2, new byte[3]);
        writer.Write("a", 6, new byte[2]);
        Assert.Equal(SafetensorsError.OverlappingWrite, Assert.Throws<SafetensorsException>(() => writer.Write("a", 4, new byte[3])).Reason);
        Assert.Equal(SafetensorsError.OverlappingWrite, Assert.Throws<SafetensorsException>(() => writer.Write("a", 0, new byte[10])).Reason);
        Assert.Equal(SafetensorsError.OverlappingWrite, Assert.Throws<SafetensorsException>(() => writer.Write("a", 7, new byte[1])).Reason);
        // The refused writes recorded nothing: filling exactly the holes completes the tensor.
        writer.Write("a", 0, new byte[2]);
        writer.Write("a", 5, new byte[1]);
        writer.Write("a", 8, new byte[2]);
        writer.Complete();
    }

    [Fact]
    public void WritesOutsideATensorAreRefused()
    {
        using var writer = SafetensorsWriter.Create(_folder.File("x.safetensors"), [new TensorInfo("a", DType.U8, [4], 4)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write("a", 2, new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write("a", -1, new byte[1]));
        Assert.Throws<ArgumentException>(() => writer.Write("b", 0, new byte[1]));
    }

    [Fact]
    public void DisposeWithoutCompleteLeavesNothing()
    {
        var path = _folder.File("model.safetensors");
        using (var writer = SafetensorsWriter.Create(path, [new TensorInfo("a", DType.U8, [4], 4)]))
        {
            writer.Write("a", 0, [1, 2, 3, 4]);
            Assert.Single(_folder.Entries());
            Assert.StartsWith(".model.safetensors.thaw-tmp-", _folder.Entries()[0], StringComparison.Ordinal);
        }
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void ExistingOutputIsReplacedOnlyWhenAsked()
    {
        var path = _folder.File("model.safetensors");
        File.WriteAllText(path, "old");
        TensorInfo[] tensors = [new("a", DType.U8, [1], 1)];
        var error = Assert.Throws<OutputException>(() => SafetensorsWriter.Create(path, tensors));
        Assert.Equal(OutputError.AlreadyExists, error.Reason);
        Assert.Equal("old", File.ReadAllText(path));

        using (var writer = SafetensorsWriter.Create(path, tensors, overwrite: true))
        {
            writer.Write("a", 0, [42]);
            writer.Complete();
        }
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([42], file.ReadAll(file.Tensors[0]));
        Assert.Equal(["model.safetensors"], _folder.Entries());
    }

    [Fact]
    public void BadTensorListsAreRefused()
    {
        Assert.Equal(SafetensorsError.DuplicateTensor, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create([new TensorInfo("a", DType.U8, [1], 1), new TensorInfo("a", DType.F32, [1], 4)])).Reason);
        Assert.Equal(SafetensorsError.InvalidTensorName, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create([new TensorInfo("__metadata__", DType.U8, [1], 1)])).Reason);
        Assert.Equal(SafetensorsError.InvalidTensorName, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create([new TensorInfo("a\ud800", DType.U8, [1], 1)])).Reason);
        Assert.Equal(SafetensorsError.InvalidMetadata, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create([], [new("k", "1"), new("k", "2")])).Reason);
        Assert.Throws<ArgumentException>(() => SafetensorsLayout.Create([new TensorInfo("a", DType.F32, [2], 4)]));
        Assert.Throws<ArgumentException>(() => SafetensorsLayout.Create([new TensorInfo("a", DType.F4, [3], 1)]));
    }

    [Fact]
    public void HeaderAboveTheReaderLimitIsRefused()
    {
        // A header of 100,000,000 + a few bytes, which no reader would open.
        TensorInfo[] tensors = [new("a", DType.U8, [0], 0)];
        const int Overhead = 77; // {"__metadata__":{"k":""},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}
        Assert.Equal(SafetensorsError.HeaderTooLarge, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create(tensors, [new("k", new string('x', 100_000_001 - Overhead))])).Reason);
        // Fewer chars than the limit, but two UTF-8 bytes each.
        Assert.Equal(SafetensorsError.HeaderTooLarge, Assert.Throws<SafetensorsException>(() =>
            SafetensorsLayout.Create(tensors, [new("k", new string('é', 50_000_000))])).Reason);
    }
}
