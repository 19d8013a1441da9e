using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Formats.Torch;
using Thaw.Models;
using Thaw.Tests.Safetensors;

namespace Thaw.Tests.Models;

public sealed class TensorFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void OpensSafetensorsByContent()
    {
        using var file = TensorFiles.Open(Path.Combine(ModelFixtures.A1, "model.safetensors"));
        Assert.IsType<SafetensorsFile>(file);
        Assert.Equal(21, file.Tensors.Count);
    }

    [Fact]
    public void OpensZipArchivesAsTorchCheckpointsWhateverTheirName()
    {
        var renamed = _temp.File("weights.safetensors");
        File.Copy(SafetensorsTestFiles.Fixture("torch/pytorch_model.bin"), renamed);
        using var file = TensorFiles.Open(renamed);
        Assert.IsType<TorchCheckpointFile>(file);
        Assert.Equal(4, file.Tensors.Count);
    }

    [Fact]
    public void GgufIsRefusedClearly()
    {
        File.WriteAllBytes(_temp.File("model.gguf"), [.. "GGUF"u8, 3, 0, 0, 0, 0, 0, 0, 0]);
        var e = Assert.Throws<ModelException>(() => TensorFiles.Open(_temp.File("model.gguf")));
        Assert.Equal(ModelError.UnsupportedFormat, e.Reason);
        Assert.Contains("is a GGUF file, which Thaw reads only to inspect it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsNotFound()
    {
        Assert.Equal(ModelError.NotFound, Assert.Throws<ModelException>(() => TensorFiles.Open(_temp.File("absent.safetensors"))).Reason);
        Assert.Equal(ModelError.NotFound, Assert.Throws<ModelException>(() => TensorFiles.Open(_temp.File("no/such/dir.bin"))).Reason);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'P', (byte)'K' })]
    [InlineData(new byte[] { (byte)'{', (byte)'}', 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void AnythingElseIsJudgedBySafetensorsRules(byte[] content)
    {
        File.WriteAllBytes(_temp.File("junk"), content);
        Assert.Throws<SafetensorsException>(() => TensorFiles.Open(_temp.File("junk")));
    }
}
