using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tests.Cli;
using Thaw.Tests.Models;

namespace Thaw.Tests.Quantization.Quantizer;

public class QuantizeCommandTests
{
    [Fact]
    public void Nf4DoubleQuantOfA1IsTheA2FolderTensorForTensorWithItsConfig()
    {
        using var temp = new TempFolder();
        var output = temp.File("nf4");
        var run = CliRun.Of("quantize", ModelFixtures.A1, "--out", output, "--type", "nf4", "--double-quant", "--compute-dtype", "bf16", "--quiet");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Out);

        AssertSameTensors(ModelFixtures.A2Nf4, output, codesMayDiffer: false);
        // Same header layout and tensor order too: the whole file is the one bitsandbytes + transformers wrote.
        Assert.Equal(File.ReadAllBytes(Path.Combine(ModelFixtures.A2Nf4, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(ModelFixtures.A2Nf4, "config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
        foreach (var copied in new[] { "generation_config.json", "tokenizer.json", "tokenizer_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(ModelFixtures.A1, copied)), File.ReadAllBytes(Path.Combine(output, copied)));
    }

    [Fact]
    public void Fp4OfA1HasTheA2TensorsAndConfig()
    {
        using var temp = new TempFolder();
        var output = temp.File("fp4");
        var run = CliRun.Of("quantize", ModelFixtures.A1, "--out", output, "--type", "fp4", "--compute-dtype", "bf16", "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("\"type\": \"fp4\"", run.Out, StringComparison.Ordinal);

        // Codes differ where bitsandbytes' pure-torch backend differs from the CUDA kernel (see Bnb4BitFixtureTests).
        AssertSameTensors(ModelFixtures.A2Fp4, output, codesMayDiffer: true);
        Assert.Equal(File.ReadAllBytes(Path.Combine(ModelFixtures.A2Fp4, "config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
    }

    private static void AssertSameTensors(string expectedFolder, string actualFolder, bool codesMayDiffer)
    {
        using var expected = SafetensorsFile.Open(Path.Combine(expectedFolder, "model.safetensors"));
        using var actual = SafetensorsFile.Open(Path.Combine(actualFolder, "model.safetensors"));
        Assert.Equal(expected.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Order(), actual.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Order());
        Assert.Equal(expected.Metadata, actual.Metadata);
        foreach (var info in expected.Tensors)
        {
            Assert.True(actual.TryGetTensor(info.Name, out var other));
            var isCodes = ModelFixtures.QuantizedWeights.Contains(info.Name);
            if (isCodes && codesMayDiffer)
                continue;
            Assert.True(expected.ReadAll(info).AsSpan().SequenceEqual(actual.ReadAll(other)), $"{info.Name} differs");
        }
    }
}
