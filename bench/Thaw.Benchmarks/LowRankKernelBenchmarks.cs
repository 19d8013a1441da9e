using BenchmarkDotNet.Attributes;
using Thaw.Lora.Merge;
using Thaw.Tensors;

namespace Thaw.Benchmarks;

/// <summary>
/// Single-threaded LoRA delta (values += s · B·A) on a 4096 × 4096 weight in float32, r = 16, at every SIMD width
/// this machine accelerates, scalar included: the merge's arithmetic without I/O. 16.8 M values per call.
/// </summary>
[MinColumn]
public class LowRankKernelBenchmarks : WidthBenchmark
{
    private const int Rows = 4096;
    private const int Columns = 4096;
    private const int Rank = 16;

    private readonly float[] coefficients = new float[Rows * Rank];
    private readonly float[] factors = new float[Rank * Columns];
    private readonly float[] values = new float[Rows * Columns];
    private SimdWidth width;

    [GlobalSetup]
    public void Setup()
    {
        width = SelectedWidth;
        var random = new Random(42);
        for (var i = 0; i < coefficients.Length; i++)
            coefficients[i] = (float)(random.NextDouble() - 0.5) * 0.01f;
        for (var i = 0; i < factors.Length; i++)
            factors[i] = (float)(random.NextDouble() - 0.5) * 0.01f;
        values.AsSpan().Fill(0.01f);
    }

    [Benchmark]
    public void AddDelta() => LowRankKernel.AddScaledProduct(coefficients, factors, Rank, 2f, values, width);
}
