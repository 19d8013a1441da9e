using Thaw.Formats;
using Thaw.Formats.Torch;

namespace Thaw.Tests.Torch;

/// <summary>Real torch.save files (tests/fixtures/torch) read and compared with what torch itself reported.</summary>
public class TorchCheckpointFixtureTests
{
    [Theory]
    [InlineData("small.bin")]
    [InlineData("pytorch_model.bin")]
    [InlineData("tied.bin")]
    [InlineData("offset_view.bin")]
    [InlineData("adapter_model.bin")]
    public void ReadsEveryTensorAsTorchSavedIt(string file)
    {
        var expected = TorchFixtures.ExpectedTensors(file);
        using var checkpoint = TorchCheckpointFile.Open(TorchFixtures.Path(file));

        Assert.Equal(expected.Select(t => t.Name), checkpoint.Tensors.Select(t => t.Name));
        Assert.Empty(checkpoint.Metadata);
        foreach (var want in expected)
        {
            Assert.True(checkpoint.TryGetTensor(want.Name, out var tensor));
            Assert.Equal(want.DType, tensor.DType);
            Assert.Equal(want.Shape.ToArray(), tensor.Shape.ToArray());
            Assert.Equal(want.Bytes.Length, tensor.ByteLength);
            Assert.Equal(want.Bytes, checkpoint.ReadAll(tensor));
        }
    }

    [Fact]
    public void SmallCoversEveryCommonDTypeScalarAndEmptyTensor()
    {
        using var checkpoint = TorchCheckpointFile.Open(TorchFixtures.Path("small.bin"));
        Assert.True(checkpoint.TryGetTensor("scalar", out var scalar));
        Assert.Empty(scalar.Shape);
        Assert.Equal(3.5f, BitConverter.ToSingle(checkpoint.ReadAll(scalar)));
        Assert.True(checkpoint.TryGetTensor("empty", out var empty));
        Assert.Equal([0L, 4L], empty.Shape.ToArray());
        Assert.Equal(0, empty.ByteLength);
        Assert.Equal(10, checkpoint.Tensors.Select(t => t.DType).Distinct().Count());
        Assert.False(checkpoint.TryGetTensor("missing", out _));
    }

    [Fact]
    public void ReadsPartialRangesAndRows()
    {
        var expected = TorchFixtures.ExpectedTensors("offset_view.bin").Single(t => t.Name == "rows");
        using var checkpoint = TorchCheckpointFile.Open(TorchFixtures.Path("offset_view.bin"));
        Assert.True(checkpoint.TryGetTensor("rows", out var rows));

        var middle = new byte[6];
        checkpoint.ReadBytes(rows, 5, middle);
        Assert.Equal(expected.Bytes[5..11], middle);

        var second = new byte[16];
        checkpoint.ReadRows(rows, 1, 1, second);
        Assert.Equal(expected.Bytes[16..32], second);
        // big[2:4] of arange(24).view(6, 4): the first element is 8.
        Assert.Equal(8f, BitConverter.ToSingle(expected.Bytes, 0));
    }

    [Fact]
    public void ReadsAreThreadSafe()
    {
        var expected = TorchFixtures.ExpectedTensors("small.bin");
        using var checkpoint = TorchCheckpointFile.Open(TorchFixtures.Path("small.bin"));
        Parallel.For(0, 400, i =>
        {
            var want = expected[i % expected.Count];
            Assert.True(checkpoint.TryGetTensor(want.Name, out var tensor));
            Assert.Equal(want.Bytes, checkpoint.ReadAll(tensor));
        });
    }

    [Fact]
    public void ReadBytesRejectsRangesOutsideTheTensorAndForeignTensors()
    {
        using var checkpoint = TorchCheckpointFile.Open(TorchFixtures.Path("tied.bin"));
        var embed = checkpoint.Tensors[0];
        Assert.Throws<ArgumentOutOfRangeException>(() => checkpoint.ReadBytes(embed, embed.ByteLength - 3, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => checkpoint.ReadBytes(embed, -1, new byte[1]));
        var foreign = embed with { Name = "not.there" };
        Assert.Throws<ArgumentException>(() => checkpoint.ReadBytes(foreign, 0, new byte[1]));
    }

    [Theory]
    [InlineData("noncontiguous.bin", TorchCheckpointError.NotContiguous, "weight_t")]
    [InlineData("legacy.bin", TorchCheckpointError.LegacyFormat, null)]
    [InlineData("forbidden_global.bin", TorchCheckpointError.GlobalNotAllowed, null)]
    [InlineData("deflated.bin", TorchCheckpointError.CompressedEntry, null)]
    [InlineData("protocol4.bin", TorchCheckpointError.PickleOpcodeNotAllowed, null)]
    public void RefusesTheRejectedFixtures(string file, TorchCheckpointError reason, string? tensor)
    {
        var path = TorchFixtures.Path(file);
        var error = Assert.Throws<TorchCheckpointException>(() => TorchCheckpointFile.Open(path));
        Assert.Equal(reason, error.Reason);
        Assert.Equal(path, error.FilePath);
        Assert.Equal(tensor, error.TensorName);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void RefusalMessagesNameTheCause()
    {
        static string MessageOf(string file) =>
            Assert.Throws<TorchCheckpointException>(() => TorchCheckpointFile.Open(TorchFixtures.Path(file))).Message;

        Assert.Contains("'posix.system'", MessageOf("forbidden_global.bin"), StringComparison.Ordinal);
        Assert.Contains("Frame (0x95)", MessageOf("protocol4.bin"), StringComparison.Ordinal);
        Assert.Contains("'deflated/data/0'", MessageOf("deflated.bin"), StringComparison.Ordinal);
        Assert.Contains("torch >= 1.6", MessageOf("legacy.bin"), StringComparison.Ordinal);
        Assert.Contains(".contiguous()", MessageOf("noncontiguous.bin"), StringComparison.Ordinal);
    }
}
