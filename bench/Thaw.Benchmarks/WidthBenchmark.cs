using BenchmarkDotNet.Attributes;
using Thaw.Tensors;

namespace Thaw.Benchmarks;

/// <summary>
/// A benchmark run once per SIMD width this machine accelerates, scalar included, so the scalar baseline is measured
/// in the same run as the vector paths.
/// </summary>
public abstract class WidthBenchmark
{
    [ParamsSource(nameof(Widths))]
    public string Width { get; set; } = nameof(SimdWidth.Scalar);

    public static IEnumerable<string> Widths() =>
        Enum.GetValues<SimdWidth>().Where(w => w <= SimdWidths.Widest).Select(w => w.ToString());

    /// <summary>The width of this run.</summary>
    internal SimdWidth SelectedWidth => Enum.Parse<SimdWidth>(Width);
}
