using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Cli;
using Thaw.Tests.Models;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Quantization.Quantizer;

public class QuantizeRejectionTests
{
    private static readonly PipelineOptions Options = new() { Threads = 1 };

    [Theory]
    [InlineData(16)]
    [InlineData(96)]
    [InlineData(8192)]
    public void ABlocksizeBitsandbytesDoesNotSupport(int blocksize)
    {
        var e = Assert.Throws<BnbQuantizeException>(() => new BnbQuantizationSettings { Blocksize = blocksize }.Validate());
        Assert.Equal(BnbQuantizeError.BadBlocksize, e.Reason);
        // Int8 has no blocks, so its blocksize is not checked.
        new BnbQuantizationSettings { Format = BnbQuantizeFormat.Int8, Blocksize = blocksize }.Validate();
    }

    [Theory]
    [InlineData("q4_0")]
    [InlineData("nf3")]
    [InlineData("")]
    public void AnUnknownType(string name)
    {
        var e = Assert.Throws<BnbQuantizeException>(() => BnbQuantizationSettings.ParseFormat(name));
        Assert.Equal(BnbQuantizeError.UnknownType, e.Reason);
    }

    [Fact]
    public void AnUnknownComputeDType()
    {
        var e = Assert.Throws<BnbQuantizeException>(() => BnbQuantizationSettings.ParseComputeDType("int8"));
        Assert.Equal(BnbQuantizeError.BadComputeDType, e.Reason);
        var settings = Assert.Throws<BnbQuantizeException>(() => new BnbQuantizationSettings { ComputeDType = DType.F64 }.Validate());
        Assert.Equal(BnbQuantizeError.BadComputeDType, settings.Reason);
    }

    [Fact]
    public void DoubleQuantizationWithInt8()
    {
        var e = Assert.Throws<BnbQuantizeException>(() => new BnbQuantizationSettings { Format = BnbQuantizeFormat.Int8, DoubleQuant = true }.Validate());
        Assert.Equal(BnbQuantizeError.IncompatibleOptions, e.Reason);
    }

    [Theory]
    [InlineData("A2-llama-nf4-dq")]
    [InlineData("A2-llama-fp4")]
    public void AModelThatIsAlreadyQuantized(string fixture)
    {
        using var temp = new TempFolder();
        var e = Plan(HfModel.Open(ModelLocation.ForExistingPath(Fixtures.Path(fixture))), temp);
        Assert.Equal(BnbQuantizeError.AlreadyQuantized, e.Reason);
        Assert.Contains("already quantized", e.Message, StringComparison.Ordinal);
        Assert.Contains("thaw dequantize", e.Message, StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void AConfigWithAnotherQuantizationMethod()
    {
        using var temp = new TempFolder();
        var config = QuantizerModels.LlamaConfig.Replace("\"model_type\": \"llama\",", "\"model_type\": \"llama\", \"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4},", StringComparison.Ordinal);
        var e = Plan(Open(temp, QuantizerModels.Llama(), config), temp);
        Assert.Equal(BnbQuantizeError.AlreadyQuantized, e.Reason);
        Assert.Contains("gptq", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelWithoutConfig()
    {
        using var temp = new TempFolder();
        var e = Plan(Open(temp, QuantizerModels.Llama(), config: null), temp);
        Assert.Equal(BnbQuantizeError.MissingConfig, e.Reason);
    }

    [Theory]
    [InlineData(DType.I32)]
    [InlineData(DType.F64)]
    [InlineData(DType.F8_E4M3)]
    public void ANonFloatWeight(DType dtype)
    {
        using var temp = new TempFolder();
        List<Tensor> tensors = [.. QuantizerModels.Llama().Where(t => !t.Name.Contains("up_proj", StringComparison.Ordinal)), T("model.layers.0.mlp.up_proj.weight", dtype, 24, 8)];
        var e = Plan(Open(temp, tensors), temp);
        Assert.Equal(BnbQuantizeError.NonFloatWeight, e.Reason);
        Assert.Equal("model.layers.0.mlp.up_proj.weight", e.TensorName);
        Assert.Contains(DTypes.SafetensorsName(dtype), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASkipNameThatMatchesNothing()
    {
        using var temp = new TempFolder();
        var e = Plan(Open(temp, QuantizerModels.Llama()), temp, new BnbQuantizationSettings { SkipModules = ["mlp.down"] });
        Assert.Equal(BnbQuantizeError.UnknownSkipModule, e.Reason);
        Assert.Contains("'mlp.down'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkippingEveryLinearModule()
    {
        using var temp = new TempFolder();
        var e = Plan(Open(temp, QuantizerModels.Llama()), temp, new BnbQuantizationSettings { SkipModules = ["model.layers.0"] });
        Assert.Equal(BnbQuantizeError.NothingToQuantize, e.Reason);
    }

    [Theory]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(float.NaN, true)]
    public void ANonFiniteWeightLeavesNoOutput(float bad, bool doubleQuant)
    {
        using var temp = new TempFolder();
        var values = QuantizerModels.Values(24 * 8, 3);
        values[100] = bad;
        List<Tensor> tensors = [.. QuantizerModels.Llama().Where(t => !t.Name.Contains("up_proj", StringComparison.Ordinal)), QuantizerModels.Bf16("model.layers.0.mlp.up_proj.weight", [24, 8], values)];
        var input = QuantizerModels.Folder(temp, tensors);
        var run = CliRun.Of(["quantize", input, "--out", temp.File("out"), "--quiet", .. doubleQuant ? new[] { "--double-quant" } : []]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("model.layers.0.mlp.up_proj.weight", run.Error, StringComparison.Ordinal);
        Assert.Contains("NaN", run.Error, StringComparison.Ordinal);
        Assert.Equal(["model"], temp.Entries());
    }

    [Theory]
    [InlineData("--type", "q4_0")]
    [InlineData("--blocksize", "48")]
    [InlineData("--compute-dtype", "f8")]
    public void BadOptionsAreUsageErrors(string option, string value)
    {
        using var temp = new TempFolder();
        var run = CliRun.Of("quantize", ModelFixtures.A1, "--out", temp.File("out"), option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Contains(value, run.Error, StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Theory]
    [InlineData("--blocksize", "64")]
    [InlineData("--double-quant", null)]
    public void FourBitOptionsWithInt8AreUsageErrors(string option, string? value)
    {
        using var temp = new TempFolder();
        var run = CliRun.Of(["quantize", ModelFixtures.A1, "--out", temp.File("out"), "--type", "int8", option, .. value is null ? Array.Empty<string>() : [value]]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(option, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAlreadyQuantizedModelFailsWithOneLine()
    {
        using var temp = new TempFolder();
        var run = CliRun.Of("quantize", ModelFixtures.A2Nf4, "--out", temp.File("out"));
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("already quantized", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExistingOutputNeedsForce()
    {
        using var temp = new TempFolder();
        var output = temp.File("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var run = CliRun.Of("quantize", ModelFixtures.A1, "--out", output, "--quiet");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--force", run.Error, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(output, "keep.txt")));

        Assert.Equal(0, CliRun.Of("quantize", ModelFixtures.A1, "--out", output, "--quiet", "--force").ExitCode);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    private static HfModel Open(TempFolder temp, IEnumerable<Tensor> tensors, string? config = QuantizerModels.LlamaConfig) =>
        HfModel.Open(ModelLocation.ForExistingPath(QuantizerModels.Folder(temp, tensors, config)));

    private static BnbQuantizeException Plan(HfModel opened, TempFolder temp, BnbQuantizationSettings? settings = null)
    {
        using var model = opened;
        return Assert.Throws<BnbQuantizeException>(() => BnbModelQuantizer.Plan(model, temp.File("out"), settings ?? new BnbQuantizationSettings(), Options));
    }
}
