using System.Runtime.InteropServices;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Pipeline;

/// <summary>LLM.int8 weights through the pipeline (no int8 fixture exists; values follow spec/bitsandbytes.md §6).</summary>
public sealed class DequantizeInt8Tests : IDisposable
{
    private const string Config = """{"model_type": "llama", "torch_dtype": "float32", "quantization_config": {"load_in_8bit": true, "quant_method": "bitsandbytes"}}""";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Model(params Tensor[] tensors)
    {
        var folder = _temp.File("int8");
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config);
        return folder;
    }

    [Fact]
    public void Int8WeightsDecodeToCodeTimesScaleOver127()
    {
        sbyte[] codes = [127, -127, 0, 1, 64, -1];
        float[] scb = [2.0f, 0.5f];
        var model = Model(
            new Tensor("model.layers.0.mlp.up_proj.weight", DType.I8, [2, 3], MemoryMarshal.AsBytes(codes.AsSpan()).ToArray()),
            new Tensor("model.layers.0.mlp.up_proj.SCB", DType.F32, [2], MemoryMarshal.AsBytes(scb.AsSpan()).ToArray()));
        var output = _temp.File("out");
        PipelineRuns.Dequantize(model, output);

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        var weight = Assert.Single(result.Tensors);
        Assert.Equal("model.layers.0.mlp.up_proj.weight", weight.Name);
        Assert.Equal(DType.F32, weight.DType);
        // bitsandbytes: f32(f32(q * SCB[row]) * 0.007874015718698502f), two float32 multiplies.
        var expected = codes.Select((q, i) => q * scb[i / 3] * 0.007874015718698502f).ToArray();
        Assert.Equal(expected, MemoryMarshal.Cast<byte, float>(result.ReadAll(weight)).ToArray());
        Assert.DoesNotContain("quantization_config", File.ReadAllText(Path.Combine(output, "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void AnInt8WeightWithoutItsScbIsRefused()
    {
        var model = Model(T("model.layers.0.mlp.up_proj.weight", DType.I8, 2, 3));
        using var opened = HfModel.Open(model);
        var error = Assert.Throws<BnbFormatException>(() => Dequantizer.Plan(opened, _temp.File("out"), null, new()));
        Assert.Equal(BnbError.MissingTensor, error.Reason);
        Assert.False(Directory.Exists(_temp.File("out")));
    }
}
