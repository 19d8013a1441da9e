using System.Text.Json;
using Thaw.Inspection;
using Thaw.Models;
using Thaw.Tests.Cli;

namespace Thaw.Tests.Gguf;

/// <summary><c>thaw inspect</c> on the converter-written GGUF files.</summary>
public sealed class GgufInspectTests
{
    [Fact]
    public void ModelFileReportsArchitectureMetadataAndTensors()
    {
        var report = Inspector.Inspect(Fixtures.Path("A6-llama-q8_0.gguf"), ModelLocator.FromProcess());
        Assert.Equal(InspectionReport.ModelKind, report.Kind);
        Assert.Equal("gguf", report.Format);
        Assert.Equal(2078880, report.Parameters); // the HF model's count (MANIFEST A1)
        Assert.Equal(21, report.Tensors.Count);
        Assert.Equal(["q8_0", "f32"], report.BytesByDtype.Keys);
        var embed = report.Tensors.Single(t => t.Name == "token_embd.weight");
        Assert.Equal(("q8_0", 32000 * 34L), (embed.Dtype, embed.Bytes));
        Assert.Equal([32000L, 32], embed.Shape);

        var gguf = Assert.IsType<GgufSummary>(report.Gguf);
        Assert.Equal((3u, 32, "llama", "model", "A1 Llama Bf16", 7u, "MOSTLY_Q8_0"),
            (gguf.Version, gguf.Alignment, gguf.Architecture, gguf.Type, gguf.Name, gguf.FileType, gguf.FileTypeName));
        Assert.Equal((29, 21), (gguf.MetadataCount, gguf.TensorCount));
        var tokens = gguf.Metadata.Single(m => m.Key == "tokenizer.ggml.tokens");
        Assert.Equal(("array", "string", 32000L), (tokens.Type, tokens.ElementType, tokens.Length));
        Assert.Null(tokens.Value);
        var blocks = gguf.Metadata.Single(m => m.Key == "llama.block_count");
        Assert.Equal(("uint32", 2u), (blocks.Type, blocks.Value!.GetValue<uint>()));
        Assert.Equal([32L, 32000], gguf.Tensors.Single(t => t.Name == "token_embd.weight").Ne);
    }

    [Fact]
    public void LoraFileIsAnAdapter()
    {
        var report = Inspector.Inspect(Fixtures.Path("A6-lora-r4-f32.gguf"), ModelLocator.FromProcess());
        Assert.Equal(InspectionReport.AdapterKind, report.Kind);
        Assert.Null(report.Gguf!.FileType);
        Assert.Equal(8.0f, report.Gguf.Metadata.Single(m => m.Key == "adapter.lora.alpha").Value!.GetValue<float>());
    }

    [Fact]
    public void JsonOutputHasTheDocumentedGgufKeys()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A6-llama-bf16.gguf"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal("gguf", root.GetProperty("format").GetString());
        var gguf = root.GetProperty("gguf");
        foreach (var key in new[] { "version", "alignment", "data_offset", "architecture", "type", "name", "file_type", "file_type_name", "tensor_count", "metadata_count", "metadata", "tensors" })
            Assert.True(gguf.TryGetProperty(key, out _), key);
        Assert.Equal("MOSTLY_BF16", gguf.GetProperty("file_type_name").GetString());
        var eps = gguf.GetProperty("metadata").EnumerateArray().Single(m => m.GetProperty("key").GetString() == "llama.attention.layer_norm_rms_epsilon");
        Assert.Equal("float32", eps.GetProperty("type").GetString());
        Assert.Equal(1e-5f, eps.GetProperty("value").GetSingle());
        var tensor = gguf.GetProperty("tensors")[0];
        foreach (var key in new[] { "name", "type", "ne", "offset", "bytes" })
            Assert.True(tensor.TryGetProperty(key, out _), key);
        Assert.Equal("bf16", root.GetProperty("tensors")[0].GetProperty("dtype").GetString());
    }

    [Fact]
    public void TextOutputListsTheKeyValues()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A6-llama-f32.gguf"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ALL_F32 (0)", run.Out, StringComparison.Ordinal);
        Assert.Contains("tokenizer.ggml.tokens", run.Out, StringComparison.Ordinal);
        Assert.Contains("32000 elements", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptGgufFailsWithOneErrorLineNamingTheFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("broken.gguf");
        var bytes = File.ReadAllBytes(Fixtures.Path("A6-lora-r4-f32.gguf"));
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1000).ToArray());
        var run = CliRun.Of("inspect", path);
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains("past the end of the file", line, StringComparison.Ordinal);
    }
}
