using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Pipeline;
using Thaw.Tensors;
using Xunit.Abstractions;

namespace Thaw.Tests.Merge;

/// <summary>
/// thaw merge against the models PEFT merged (MANIFEST A3, A4, A5). Each reference file holds only the tensors the
/// merge changed; every other tensor must equal the base's (for an f32 output, its exact upcast).
/// </summary>
public sealed class MergeFixtureTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A3Bf16MergeIsPeftsBitForBit()
    {
        var stats = MergeAndCompare("A1-llama-bf16", ["A3-llama-lora-r4"], "A3-merged-bf16.safetensors", null);
        Assert.Equal(14, stats.Tensors);
        Assert.Equal(30720, stats.Elements);
        Assert.True(stats.Identical >= stats.Elements * 0.999, $"{stats.Identical}/{stats.Elements} identical");
        Assert.True(stats.MaxUlps <= 1, $"max {stats.MaxUlps} ulps");
    }

    [Fact]
    public void A3F32MergeIsWithinOneMillionthOfPefts()
    {
        var stats = MergeAndCompare("A1-llama-bf16", ["A3-llama-lora-r4"], "A3-merged-f32.safetensors", DType.F32);
        Assert.Equal(14, stats.Tensors);
        Assert.True(stats.MaxRelative <= 1e-6, $"max relative difference {stats.MaxRelative}");
        // float32 shows every rounding of B·A·s: the same order of operations gives the same bits.
        Assert.Equal(stats.Elements, stats.Identical);
    }

    [Fact]
    public void A4RsLoraMergeIsPefts()
    {
        var stats = MergeAndCompare("A1-llama-bf16", ["A4-llama-rslora-r8"], "A4-merged-bf16.safetensors", null);
        Assert.Equal(4, stats.Tensors);
        Assert.True(stats.Identical >= stats.Elements * 0.999, $"{stats.Identical}/{stats.Elements} identical");
        Assert.True(stats.MaxUlps <= 1, $"max {stats.MaxUlps} ulps");
    }

    [Fact]
    public void A5QloraMergeIntoTheDequantizedBaseIsTheRoundOnceReferenceBitForBit()
    {
        var stats = MergeAndCompare("A2-llama-nf4-dq", ["A5-qlora-r8"], "A5-iii-f32dequant-merge-bf16.safetensors", null, "A1-llama-bf16");
        Assert.Equal(14, stats.Tensors);
        Assert.Equal(stats.Elements, stats.Identical);
    }

    [Fact]
    public void A5DequantizeThenMergeRoundsTwiceAndDiffersByOneStepInAboutAQuarter()
    {
        // model.dequantize() rounds W to bf16 before the merge rounds W + ΔW again; Thaw rounds once.
        var stats = MergeAndCompare("A2-llama-nf4-dq", ["A5-qlora-r8"], "A5-iii-dequant-merge-bf16.safetensors", null, "A1-llama-bf16");
        Assert.InRange(stats.MaxUlps, 1, 2);
        Assert.Equal(7134, stats.Elements - stats.Identical);
    }

    [Fact]
    public void A5MergeIntoTheOriginalIsPeftsMergeIntoA1()
    {
        var stats = MergeAndCompare("A2-llama-nf4-dq", ["A5-qlora-r8"], "A5-iv-original-merge-bf16.safetensors", null, "A1-llama-bf16", original: "A1-llama-bf16");
        Assert.Equal(14, stats.Tensors);
        Assert.True(stats.Identical >= stats.Elements * 0.999, $"{stats.Identical}/{stats.Elements} identical");
        Assert.True(stats.MaxUlps <= 1, $"max {stats.MaxUlps} ulps");
    }

    private sealed record Stats(int Tensors, long Elements, long Identical, long MaxUlps, double MaxRelative);

    // Merges, then compares the changed tensors with the reference and every other tensor with the unchanged model.
    private Stats MergeAndCompare(string baseModel, string[] adapters, string reference, DType? dtype, string? unchanged = null, string? original = null)
    {
        var outputPath = temp.File("out");
        MergeRuns.Merge(Fixtures.Path(baseModel), outputPath, [.. adapters.Select(a => (Fixtures.Path(a), 1.0))], dtype,
            original is null ? null : Fixtures.Path(original), new PipelineOptions { MaxMemory = 32 << 10, Threads = 3 });
        using var merged = SafetensorsFile.Open(Path.Combine(outputPath, "model.safetensors"));
        using var expected = SafetensorsFile.Open(Fixtures.Path(reference));
        using var plain = SafetensorsFile.Open(Fixtures.Path($"{unchanged ?? baseModel}/model.safetensors"));
        var changed = expected.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Assert.Equal(plain.Tensors.Select(t => t.Name).Order(), merged.Tensors.Select(t => t.Name).Order());
        long elements = 0, identical = 0, maxUlps = 0;
        var maxRelative = 0.0;
        foreach (var tensor in merged.Tensors)
        {
            if (!changed.TryGetValue(tensor.Name, out var want))
            {
                var unchangedTensor = plain.Tensors.Single(t => t.Name == tensor.Name);
                Assert.Equal(Floats(plain.ReadAll(unchangedTensor), unchangedTensor.DType), Floats(merged.ReadAll(tensor), tensor.DType));
                continue;
            }
            Assert.Equal(want.DType, tensor.DType);
            Assert.Equal(want.ShapeText, tensor.ShapeText);
            var a = Floats(expected.ReadAll(want), want.DType);
            var b = Floats(merged.ReadAll(tensor), tensor.DType);
            for (var i = 0; i < a.Length; i++)
            {
                elements++;
                if (BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]))
                    identical++;
                var ulps = Math.Abs(Ordered(a[i], want.DType) - Ordered(b[i], want.DType));
                maxUlps = Math.Max(maxUlps, ulps);
                if (a[i] != 0)
                    maxRelative = Math.Max(maxRelative, Math.Abs((double)a[i] - b[i]) / Math.Abs(a[i]));
            }
        }
        output.WriteLine($"{reference}: {changed.Count} tensors, {identical}/{elements} identical, max {maxUlps} ulps, max relative {maxRelative:G3}");
        return new Stats(changed.Count, elements, identical, maxUlps, maxRelative);
    }

    private static float[] Floats(byte[] bytes, DType dtype)
    {
        var values = new float[bytes.Length / DTypes.ByteSize(dtype)];
        FloatConversions.ToSingle(dtype, bytes, values);
        return values;
    }

    // Position on the number line in steps of the dtype (ulps), for a value of that dtype held in a float.
    private static long Ordered(float value, DType dtype)
    {
        var bits = BitConverter.SingleToInt32Bits(value);
        long ordered = bits < 0 ? int.MinValue - (long)bits : bits;
        return dtype == DType.F32 ? ordered : ordered >> 16;
    }
}
