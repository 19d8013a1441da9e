using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Pipeline;

namespace Thaw.Tests.Merge;

/// <summary>
/// An LLM.int8 base (A1 quantized by thaw quantize --type int8; no int8 fixture exists): the adapter is merged into
/// the int8 weights decoded to float32, so merging into the base directly must give exactly what decoding it to an
/// f32 folder and merging into that gives (both paths round once, to f32).
/// </summary>
public sealed class MergeInt8BaseTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void MergingIntoTheInt8BaseIsMergingIntoItsDecodedWeights()
    {
        var int8 = temp.File("int8");
        using (var a1 = HfModel.Open(Fixtures.Path("A1-llama-bf16")))
            HfFolderOutput.Write(BnbModelQuantizer.Plan(a1, int8, new BnbQuantizationSettings { Format = BnbQuantizeFormat.Int8 }, new PipelineOptions()).Plan);
        var decoded = temp.File("decoded");
        PipelineRuns.Dequantize(int8, decoded, DType.F32);

        var direct = temp.File("direct");
        var viaFolder = temp.File("via-folder");
        MergeRuns.Merge(int8, Fixtures.Path("A3-llama-lora-r4"), direct, DType.F32);
        MergeRuns.Merge(decoded, Fixtures.Path("A3-llama-lora-r4"), viaFolder, DType.F32);

        using var a = SafetensorsFile.Open(Path.Combine(direct, "model.safetensors"));
        using var b = SafetensorsFile.Open(Path.Combine(viaFolder, "model.safetensors"));
        Assert.Equal(b.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)), a.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)));
        foreach (var (x, y) in a.Tensors.Zip(b.Tensors))
            Assert.Equal(b.ReadAll(y), a.ReadAll(x));
        // And the merge did something: the projections differ from the decoded base.
        using var before = SafetensorsFile.Open(Path.Combine(decoded, "model.safetensors"));
        var q = before.Tensors.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight");
        Assert.NotEqual(before.ReadAll(q), a.ReadAll(a.Tensors.Single(t => t.Name == q.Name)));
    }
}
