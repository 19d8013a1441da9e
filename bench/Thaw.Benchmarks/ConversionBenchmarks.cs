using BenchmarkDotNet.Attributes;
using Thaw.Tensors;

namespace Thaw.Benchmarks;

/// <summary>
/// The 16-bit conversion kernels over 1M elements (4 MiB of float32 on one side, 2 MiB of 16-bit values on the
/// other) at every SIMD width this machine accelerates, scalar included, so the baseline is in the same run.
/// Min is reported beside the mean because shared build machines make the mean noisy.
/// </summary>
[MinColumn]
public class ConversionBenchmarks : WidthBenchmark
{
    private const int Count = 1 << 20;

    private readonly float[] _singles = new float[Count];
    private readonly ushort[] _bfloat16 = new ushort[Count];
    private readonly ushort[] _half = new ushort[Count];
    private readonly float[] _singleOutput = new float[Count];
    private readonly ushort[] _narrowOutput = new ushort[Count];
    private SimdWidth _width;

    [GlobalSetup]
    public void Setup()
    {
        _width = SelectedWidth;
        // Weight-like values: roughly normal around zero, a few larger.
        var random = new Random(42);
        for (var i = 0; i < Count; i++)
            _singles[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-12, 2)));
        FloatConversions.SingleToBFloat16(_singles, _bfloat16);
        FloatConversions.SingleToHalf(_singles, _half);
    }

    [Benchmark]
    public void BFloat16ToSingle() => BFloat16Kernels.ToSingle(_bfloat16, _singleOutput, _width);

    [Benchmark]
    public void SingleToBFloat16() => BFloat16Kernels.FromSingle(_singles, _narrowOutput, _width);

    [Benchmark]
    public void HalfToSingle() => HalfKernels.ToSingle(_half, _singleOutput, _width);

    [Benchmark]
    public void SingleToHalf() => HalfKernels.FromSingle(_singles, _narrowOutput, _width);
}
