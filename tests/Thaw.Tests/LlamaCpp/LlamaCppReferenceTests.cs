using Xunit.Abstractions;

namespace Thaw.Tests.LlamaCpp;

/// <summary>
/// The runner against itself at fixture time: llama.cpp's own converter files give the stored A6 logits, so a
/// difference in the other tests is the file's, not the runner's. The stored logits came from LLamaSharp's avx512
/// build (here: identical, 0); on a CPU where it loads another build the sums may differ in the last bits, hence 1e-4.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class LlamaCppReferenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("A6-llama-f32.gguf", null, "A6.gguf-f32")]
    [InlineData("A6-llama-bf16.gguf", null, "A6.gguf-bf16")]
    [InlineData("A6-llama-q8_0.gguf", null, "A6.gguf-q8_0")]
    [InlineData("A6-llama-f32.gguf", "A6-lora-r4-f32.gguf", "A6.gguf-f32+lora-r4")]
    [InlineData("A6-llama-bf16.gguf", "A6-lora-r4-f32.gguf", "A6.gguf-bf16+lora-r4")]
    public void TheConvertersFilesGiveTheStoredLogits(string gguf, string? lora, string variant)
    {
        var logits = LlamaCppLogits.LastPositions(Fixtures.Path(gguf), ReferenceLogits.Prompts, lora is null ? null : Fixtures.Path(lora));
        var difference = ReferenceLogits.MaxAbsDifference(logits, ReferenceLogits.Of(variant));
        output.WriteLine($"{gguf}{(lora is null ? "" : " + " + lora)} vs {variant}: max |d| {difference:G3}");
        Assert.True(difference <= 1e-4, $"max |d| {difference:G3} against {variant}");
    }
}
