using Thaw.Formats.Gguf.Conversion;
using Thaw.Lora;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;
using Thaw.Pipeline.Merge;
using Thaw.Tests.GgufExport;
using Xunit.Abstractions;

namespace Thaw.Tests.LlamaCpp;

/// <summary>
/// Thaw's GGUF files run in llama.cpp (LLamaSharp) against the reference logits of MANIFEST A7: plain exports of A1,
/// and merges written straight to GGUF. The tokenizer keys come from llama.cpp's converter file (same tokenizer).
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class ThawGgufLogitsTests(ITestOutputHelper output) : IDisposable
{
    private const string TokenizerReference = "A6-llama-f32.gguf";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    // f32: the same mathematics as transformers in f32 (the converter's file is 1.31e-06 from it).
    [InlineData(GgufOutputType.F32, "A1.f32", 1e-3)]
    [InlineData(GgufOutputType.BF16, "A6.gguf-bf16", 5e-3)]
    [InlineData(GgufOutputType.Q8_0, "A6.gguf-q8_0", 1e-4)]
    public void A1Export(GgufOutputType type, string variant, double bound)
    {
        var gguf = temp.File("a1.gguf");
        GgufExportFixtureTests.Export(Fixtures.Path("A1-llama-bf16"), gguf, type, TokenizerReference);
        AssertClose(gguf, variant, bound);
    }

    [Theory]
    [InlineData("A3.merged-f32")]
    [InlineData("A3.unmerged-f32")]
    public void A1WithTheA3AdapterMergedToF32(string variant)
    {
        var gguf = temp.File("a3.gguf");
        ExportMerged("A1-llama-bf16", "A3-llama-lora-r4", gguf, GgufOutputType.F32);
        AssertClose(gguf, variant, 1e-3);
    }

    /// <summary>QLoRA: the adapter on the float32 dequantization of the NF4 base is what training saw.</summary>
    [Fact]
    public void TheQLoraMergedToF32IsWhatTrainingSaw()
    {
        var gguf = temp.File("a5.gguf");
        ExportMerged("A2-llama-nf4-dq", "A5-qlora-r8", gguf, GgufOutputType.F32);
        AssertClose(gguf, "A5.i-unmerged-f32", 1e-3);
    }

    /// <summary>
    /// bf16: the weights are (iii-b)'s (merged in f32, rounded once). Against (iii-b), transformers computed in bf16 and
    /// llama.cpp does not: MANIFEST A7 puts that compute difference at 0.0312 for A1 (A6.gguf-bf16 vs A1.bf16). Against
    /// (i) in f32 only the weights' rounding differs (0.0155 for A1: A6.gguf-bf16 vs A1.f32). 0.05 leaves room for
    /// either and none for a wrong weight: the base without its adapter is 0.2 from (i), the re-quantized merge 0.18.
    /// </summary>
    [Theory]
    [InlineData("A5.iii-b-f32dequant-merge-bf16")]
    [InlineData("A5.i-unmerged-f32")]
    public void TheQLoraMergedToBf16(string variant)
    {
        var gguf = temp.File("a5-bf16.gguf");
        ExportMerged("A2-llama-nf4-dq", "A5-qlora-r8", gguf, GgufOutputType.BF16);
        AssertClose(gguf, variant, 0.05);
    }

    /// <summary>
    /// Thaw's GGUF adapters applied by llama.cpp at run time on the converter's f32 base: A3 (alpha/r) must give what
    /// the converter's own adapter gives, and the A4 rsLoRA adapter — whose alpha/sqrt(r) llama.cpp cannot express
    /// directly, so Thaw folds it into alpha — must give PEFT's unmerged rsLoRA model.
    /// </summary>
    [Theory]
    [InlineData("A3-llama-lora-r4", "A6.gguf-f32+lora-r4", 1e-6)]
    [InlineData("A3-llama-lora-r4", "A3.merged-f32", 1e-3)]
    [InlineData("A4-llama-rslora-r8", "A4.unmerged-f32", 1e-3)]
    public void ThawsLoraAdapterAppliedByLlamaCpp(string adapter, string variant, double bound)
    {
        var lora = temp.File("lora.gguf");
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path(adapter), "--base", Fixtures.Path("A1-llama-bf16"), "--out", lora, "--quiet");
        Assert.Equal(0, run.ExitCode);
        AssertClose(Fixtures.Path("A6-llama-f32.gguf"), variant, bound, lora);
    }

    // llama.cpp's own files are run here, on this machine's backend (avx512, avx2...), not taken from the stored
    // logits, whose backend may differ in the last bits: the comparison is then of the files alone.
    private static readonly Dictionary<string, (string Gguf, string? Lora)> LlamaCppFiles = new(StringComparer.Ordinal)
    {
        ["A6.gguf-bf16"] = ("A6-llama-bf16.gguf", null),
        ["A6.gguf-q8_0"] = ("A6-llama-q8_0.gguf", null),
        ["A6.gguf-f32+lora-r4"] = ("A6-llama-f32.gguf", "A6-lora-r4-f32.gguf"),
    };

    private void AssertClose(string gguf, string variant, double bound, string? lora = null)
    {
        var logits = LlamaCppLogits.LastPositions(gguf, ReferenceLogits.Prompts, lora);
        var expected = LlamaCppFiles.TryGetValue(variant, out var file)
            ? LlamaCppLogits.LastPositions(Fixtures.Path(file.Gguf), ReferenceLogits.Prompts, file.Lora is null ? null : Fixtures.Path(file.Lora))
            : ReferenceLogits.Of(variant);
        var difference = ReferenceLogits.MaxAbsDifference(logits, expected);
        output.WriteLine($"{Path.GetFileName(gguf)}{(lora is null ? "" : " + " + Path.GetFileName(lora))} vs {variant}: max |d| {difference:G3}");
        Assert.True(difference <= bound, $"max |d| {difference:G3} against {variant}, bound {bound}");
    }

    private static void ExportMerged(string baseModel, string adapter, string gguf, GgufOutputType type)
    {
        using var model = HfModel.Open(Fixtures.Path(baseModel));
        using var lora = LoraAdapter.Load(Fixtures.Path(adapter));
        var options = new PipelineOptions { MaxMemory = 64 << 10, Threads = 2 };
        var merged = Merger.Merge(new MergeRequest
        {
            Base = model,
            BaseName = baseModel,
            Adapters = [new MergeAdapter(lora, 1.0, adapter)],
            OutputPath = gguf,
            Options = options,
        });
        GgufFileOutput.Write(GgufExporter.Plan(merged, new GgufExportRequest
        {
            OutputPath = gguf,
            Type = type,
            Options = options,
            Tokenizer = _ => GgufExportFixtureTests.TokenizerKeys(Fixtures.Path(TokenizerReference)),
        }));
    }
}
