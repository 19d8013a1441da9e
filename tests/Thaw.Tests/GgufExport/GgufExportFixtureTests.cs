using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;
using Thaw.Pipeline.Merge;

namespace Thaw.Tests.GgufExport;

/// <summary>
/// thaw's GGUF export of A1 against the files llama.cpp's converter wrote from it (MANIFEST A6). The tokenizer keys
/// are taken from the reference file here, so these tests check everything else: metadata keys, types and order,
/// tensor names, order, shapes and types, the q/k permutation, f32/bf16/q8_0 encodings and the alignment.
/// </summary>
public sealed class GgufExportFixtureTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(GgufOutputType.F32, "A6-llama-f32.gguf")]
    [InlineData(GgufOutputType.BF16, "A6-llama-bf16.gguf")]
    [InlineData(GgufOutputType.Q8_0, "A6-llama-q8_0.gguf")]
    public void A1ExportIsTheConvertersFileByteForByte(GgufOutputType type, string reference)
    {
        var output = temp.File("out.gguf");
        Export(Fixtures.Path("A1-llama-bf16"), output, type, reference);
        Assert.Equal(File.ReadAllBytes(Fixtures.Path(reference)), File.ReadAllBytes(output));
    }

    [Theory]
    [InlineData("f32", "A6-llama-f32.gguf")]
    [InlineData("bf16", "A6-llama-bf16.gguf")]
    [InlineData("q8_0", "A6-llama-q8_0.gguf")]
    public void ExportGgufWithItsOwnTokenizerIsTheConvertersFileByteForByte(string type, string reference)
    {
        var output = temp.File("out.gguf");
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path("A1-llama-bf16"), "--out", output, "--gguf-type", type, "--quiet");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(File.ReadAllBytes(Fixtures.Path(reference)), File.ReadAllBytes(output));
    }

    [Fact]
    public void WithoutATypeTheConvertersAutoChoiceIsBf16ForABf16Model()
    {
        var output = temp.File("out.gguf");
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path("A1-llama-bf16"), "--out", output, "--quiet");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("A6-llama-bf16.gguf")), File.ReadAllBytes(output));
    }

    [Fact]
    public void TheShardedA1GivesTheSameFile()
    {
        var output = temp.File("out.gguf");
        Export(Fixtures.Path("A1-llama-bf16-sharded"), output, GgufOutputType.Q8_0, "A6-llama-q8_0.gguf", name: "A1 Llama Bf16");
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("A6-llama-q8_0.gguf")), File.ReadAllBytes(output));
    }

    internal static void Export(string model, string output, GgufOutputType type, string tokenizerReference, string? name = null)
    {
        using var opened = HfModel.Open(model);
        var plan = GgufExporter.Plan(MergedModel.Unchanged(opened), new GgufExportRequest
        {
            OutputPath = output,
            Type = type,
            Options = new PipelineOptions { MaxMemory = 64 << 10, Threads = 3 },
            Name = name,
            Tokenizer = _ => TokenizerKeys(Fixtures.Path(tokenizerReference)),
        });
        GgufFileOutput.Write(plan);
    }

    internal static IReadOnlyList<KeyValuePair<string, GgufValue>> TokenizerKeys(string gguf)
    {
        using var file = GgufFile.Open(gguf);
        return [.. file.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal))];
    }
}
