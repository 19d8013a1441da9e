using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Pipeline;

/// <summary>The output dtype rule and what each tensor becomes under it.</summary>
public sealed class DequantizeDTypeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string MixedModel(string? config)
    {
        var folder = _temp.File("mixed");
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, "model.safetensors"),
            new Tensor("model.embed_tokens.weight", DType.BF16, [4, 2], [0x80, 0x3F, 0x00, 0x40, 0x40, 0x40, 0x80, 0x40, 0xA0, 0x40, 0xC0, 0x40, 0xE0, 0x40, 0x00, 0x41]),
            T("model.norm.weight", DType.F32, 2),
            T("model.position_ids", DType.I64, 3));
        if (config is not null)
            File.WriteAllText(Path.Combine(folder, "config.json"), config);
        return folder;
    }

    [Fact]
    public void SharedTensorDTypeWins()
    {
        using var model = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        Assert.Equal(DType.BF16, Dequantizer.OutputDType(model, null));
        Assert.Equal(DType.F16, Dequantizer.OutputDType(model, DType.F16));
    }

    [Fact]
    public void QuantStateDTypeCountsAsTheWeightsDType()
    {
        // FourBit writes quant states with "dtype": "float16"; the config says bfloat16, but the tensors agree.
        var folder = _temp.File("q");
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, "model.safetensors"),
            [.. FourBit("model.layers.0.mlp.up_proj.weight", 4, 64, doubleQuant: true), T("model.norm.weight", DType.F16, 64)]);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type": "llama", "dtype": "bfloat16"}""");
        using var model = HfModel.Open(folder);
        Assert.Equal(DType.F16, Dequantizer.OutputDType(model, null));
    }

    [Fact]
    public void DisagreeingTensorsFallBackToTheConfig()
    {
        using var model = HfModel.Open(MixedModel("""{"model_type": "llama", "torch_dtype": "float16"}"""));
        Assert.Equal(DType.F16, Dequantizer.OutputDType(model, null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"model_type": "llama", "torch_dtype": "auto"}""")]
    [InlineData("""{"model_type": "llama", "torch_dtype": "float64"}""")]
    public void DisagreeingTensorsWithoutAUsableConfigDTypeGiveBf16(string? config)
    {
        using var model = HfModel.Open(MixedModel(config));
        Assert.Equal(DType.BF16, Dequantizer.OutputDType(model, null));
    }

    [Fact]
    public void OnlyFloatDTypesCanBeRequested()
    {
        using var model = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dequantizer.OutputDType(model, DType.I8));
    }

    [Fact]
    public void WithoutADTypeNothingIsCastAndTheConfigRecordsTheDefault()
    {
        var output = _temp.File("out");
        PipelineRuns.Dequantize(MixedModel("""{"model_type": "llama", "torch_dtype": "float16"}"""), output);

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        Assert.Equal(["BF16", "F32", "I64"], result.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => DTypes.SafetensorsName(t.DType)));
        Assert.Contains("\"torch_dtype\": \"float16\"", File.ReadAllText(Path.Combine(output, "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void ARequestedDTypeCastsEveryFloatTensorAndCopiesTheRest()
    {
        var model = MixedModel("""{"model_type": "llama", "torch_dtype": "float16"}""");
        var output = _temp.File("out");
        PipelineRuns.Dequantize(model, output, DType.F32);

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        Assert.True(result.TryGetTensor("model.embed_tokens.weight", out var embedding));
        Assert.Equal(DType.F32, embedding.DType);
        float[] expected = [1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(result.ReadAll(embedding)).ToArray());
        Assert.True(result.TryGetTensor("model.position_ids", out var ids));
        Assert.Equal(DType.I64, ids.DType);
        Assert.Contains("\"torch_dtype\": \"float32\"", File.ReadAllText(Path.Combine(output, "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void ABareFileGivesAFolderWithoutConfig()
    {
        var model = MixedModel(null);
        var output = _temp.File("out");
        var summary = PipelineRuns.Dequantize(Path.Combine(model, "model.safetensors"), output, DType.BF16);
        Assert.Equal(["model.safetensors"], summary.Files);
    }
}
