using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Lora;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;

namespace Thaw.Tests.GgufExport;

/// <summary>A PEFT adapter as a GGUF adapter, against convert_lora_to_gguf.py's A6-lora-r4-f32.gguf (from A3).</summary>
public sealed class GgufLoraExportTests : IDisposable
{
    // gguf-py derives these from the folder name and PEFT's README model card with heuristics of its own version;
    // they are informational (llama.cpp's adapter loader reads none of them), so Thaw does not imitate them.
    private static readonly string[] HeuristicKeys = ["general.finetune", "general.basename", "general.tags"];

    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A3AdapterHasTheConvertersTensorsByteForByteAndItsAdapterKeys()
    {
        var output = temp.File("lora.gguf");
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path("A3-llama-lora-r4"), "--base", Fixtures.Path("A1-llama-bf16"), "--out", output, "--quiet");
        Assert.Equal(0, run.ExitCode);
        using var ours = GgufFile.Open(output);
        using var reference = GgufFile.Open(Fixtures.Path("A6-lora-r4-f32.gguf"));
        Assert.Equal(reference.Tensors.Select(t => (t.Name, t.Type, t.DimensionsText)), ours.Tensors.Select(t => (t.Name, t.Type, t.DimensionsText)));
        foreach (var (want, got) in reference.Tensors.Zip(ours.Tensors))
            Assert.Equal(Read(reference, want), Read(ours, got));
        var expected = reference.Metadata.Where(kv => !HeuristicKeys.Contains(kv.Key)).Select(kv => (kv.Key, kv.Value.TypeName, kv.Value.ToString()));
        Assert.Equal(expected, ours.Metadata.Select(kv => (kv.Key, kv.Value.TypeName, kv.Value.ToString())));
    }

    [Fact]
    public void RsLoraIsFoldedIntoAlpha()
    {
        // A4: alpha 16, r 8, rsLoRA: PEFT scales by 16/sqrt(8); llama.cpp by alpha/r, so alpha = 16·sqrt(8).
        var plan = Plan("A4-llama-rslora-r8", GgufOutputType.F32);
        Assert.Equal((float)(16 * Math.Sqrt(8)), plan.Layout.Metadata.Single(kv => kv.Key == "adapter.lora.alpha").Value.AsFloat32());
        Assert.Contains(plan.Notes, n => n.StartsWith("rsLoRA", StringComparison.Ordinal));
    }

    [Fact]
    public void Q8_0FallsBackToF16ForRowsOfRankLength()
    {
        // lora_b rows hold r = 4 values, not whole 32-value q8_0 blocks; lora_a rows of 32 and 128 are.
        var plan = Plan("A3-llama-lora-r4", GgufOutputType.Q8_0);
        Assert.All(plan.Layout.Tensors.Where(t => t.Name.EndsWith(".lora_b", StringComparison.Ordinal)), t => Assert.Equal(GgmlType.F16, t.Type));
        Assert.All(plan.Layout.Tensors.Where(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal)), t => Assert.Equal(GgmlType.Q8_0, t.Type));
    }

    [Fact]
    public void AQuantizedAdapterTypeIsRefused()
    {
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path("A3-llama-lora-r4"), "--base", Fixtures.Path("A1-llama-bf16"), "--out", temp.File("x.gguf"), "--gguf-type", "q4_0");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("f32, f16, bf16 or q8_0", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("x.gguf")));
    }

    private GgufPlan Plan(string adapterName, GgufOutputType type)
    {
        using var adapter = LoraAdapter.Load(Fixtures.Path(adapterName));
        using var model = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        return GgufLoraExporter.Plan(adapter, model, "A1-llama-bf16", new GgufExportRequest
        {
            OutputPath = temp.File("lora.gguf"),
            Type = type,
            Options = new PipelineOptions(),
        });
    }

    private static byte[] Read(GgufFile file, GgufTensorInfo tensor)
    {
        var bytes = new byte[tensor.ByteLength];
        file.ReadBytes(tensor, 0, bytes);
        return bytes;
    }
}
