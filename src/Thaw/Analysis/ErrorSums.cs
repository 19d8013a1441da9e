using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Analysis;

/// <summary>
/// The running sums of pass 2 of <see cref="WeightErrorMeter"/> over (original, decoded) pairs: Σ(deq − w)²,
/// max |deq − w|, Σ(w − mean)², Σ(w − mean)⁴ and the count of |w − mean| &gt; threshold, in float64. Vector paths
/// widen to float64 lanes; they differ from the scalar reference only in the order of the additions.
/// </summary>
internal struct ErrorSums
{
    public double SquaredError;
    public double MaxError;
    public double Central2;
    public double Central4;
    public long Outliers;

    /// <summary>Adds the pairs of <paramref name="original"/> and <paramref name="decoded"/>.</summary>
    public void Add(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold) =>
        Add(original, decoded, mean, threshold, SimdWidths.Widest);

    internal void Add(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold, SimdWidth width)
    {
        if (decoded.Length != original.Length)
            throw new ArgumentException($"{decoded.Length} decoded values for {original.Length} originals", nameof(decoded));
        var done = width switch
        {
            SimdWidth.Vector512 => Add512(original, decoded, mean, threshold),
            SimdWidth.Vector256 => Add256(original, decoded, mean, threshold),
            SimdWidth.Vector128 => Add128(original, decoded, mean, threshold),
            _ => 0,
        };
        AddScalar(original[done..], decoded[done..], mean, threshold);
    }

    private void AddScalar(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold)
    {
        for (var i = 0; i < original.Length; i++)
        {
            double x = original[i];
            var delta = decoded[i] - x;
            SquaredError += delta * delta;
            MaxError = Math.Max(MaxError, Math.Abs(delta));
            var centered = x - mean;
            var centered2 = centered * centered;
            Central2 += centered2;
            Central4 += centered2 * centered2;
            if (Math.Abs(centered) > threshold)
                Outliers++;
        }
    }

    private int Add512(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold)
    {
        ref var x = ref MemoryMarshal.GetReference(original);
        ref var d = ref MemoryMarshal.GetReference(decoded);
        var n = original.Length - original.Length % Vector512<float>.Count;
        var s = new Lanes512(mean, threshold);
        for (var i = 0; i < n; i += Vector512<float>.Count)
        {
            var (xl, xu) = Vector512.Widen(Vector512.LoadUnsafe(ref x, (nuint)i));
            var (dl, du) = Vector512.Widen(Vector512.LoadUnsafe(ref d, (nuint)i));
            s.Add(xl, dl);
            s.Add(xu, du);
        }
        SquaredError += Vector512.Sum(s.Squared);
        MaxError = Math.Max(MaxError, Max(s.Max));
        Central2 += Vector512.Sum(s.Central2);
        Central4 += Vector512.Sum(s.Central4);
        Outliers += (long)Vector512.Sum(s.Outliers);
        return n;
    }

    private struct Lanes512(double mean, double threshold)
    {
        public Vector512<double> Squared, Max, Central2, Central4, Outliers;
        private readonly Vector512<double> _mean = Vector512.Create(mean);
        private readonly Vector512<double> _threshold = Vector512.Create(threshold);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector512<double> x, Vector512<double> decoded)
        {
            var delta = decoded - x;
            Squared += delta * delta;
            Max = Vector512.Max(Max, Vector512.Abs(delta));
            var centered = x - _mean;
            var centered2 = centered * centered;
            Central2 += centered2;
            Central4 += centered2 * centered2;
            Outliers += Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Abs(centered), _threshold), Vector512<double>.One, Vector512<double>.Zero);
        }
    }

    private static double Max(Vector512<double> v)
    {
        var max = 0.0;
        for (var i = 0; i < Vector512<double>.Count; i++)
            max = Math.Max(max, v.GetElement(i));
        return max;
    }

    private int Add256(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold)
    {
        ref var x = ref MemoryMarshal.GetReference(original);
        ref var d = ref MemoryMarshal.GetReference(decoded);
        var n = original.Length - original.Length % Vector256<float>.Count;
        var s = new Lanes256(mean, threshold);
        for (var i = 0; i < n; i += Vector256<float>.Count)
        {
            var (xl, xu) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)i));
            var (dl, du) = Vector256.Widen(Vector256.LoadUnsafe(ref d, (nuint)i));
            s.Add(xl, dl);
            s.Add(xu, du);
        }
        SquaredError += Vector256.Sum(s.Squared);
        MaxError = Math.Max(MaxError, Max(s.Max));
        Central2 += Vector256.Sum(s.Central2);
        Central4 += Vector256.Sum(s.Central4);
        Outliers += (long)Vector256.Sum(s.Outliers);
        return n;
    }

    private struct Lanes256(double mean, double threshold)
    {
        public Vector256<double> Squared, Max, Central2, Central4, Outliers;
        private readonly Vector256<double> _mean = Vector256.Create(mean);
        private readonly Vector256<double> _threshold = Vector256.Create(threshold);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector256<double> x, Vector256<double> decoded)
        {
            var delta = decoded - x;
            Squared += delta * delta;
            Max = Vector256.Max(Max, Vector256.Abs(delta));
            var centered = x - _mean;
            var centered2 = centered * centered;
            Central2 += centered2;
            Central4 += centered2 * centered2;
            Outliers += Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Abs(centered), _threshold), Vector256<double>.One, Vector256<double>.Zero);
        }
    }

    private static double Max(Vector256<double> v)
    {
        var max = 0.0;
        for (var i = 0; i < Vector256<double>.Count; i++)
            max = Math.Max(max, v.GetElement(i));
        return max;
    }

    private int Add128(ReadOnlySpan<float> original, ReadOnlySpan<float> decoded, double mean, double threshold)
    {
        ref var x = ref MemoryMarshal.GetReference(original);
        ref var d = ref MemoryMarshal.GetReference(decoded);
        var n = original.Length - original.Length % Vector128<float>.Count;
        var s = new Lanes128(mean, threshold);
        for (var i = 0; i < n; i += Vector128<float>.Count)
        {
            var (xl, xu) = Vector128.Widen(Vector128.LoadUnsafe(ref x, (nuint)i));
            var (dl, du) = Vector128.Widen(Vector128.LoadUnsafe(ref d, (nuint)i));
            s.Add(xl, dl);
            s.Add(xu, du);
        }
        SquaredError += Vector128.Sum(s.Squared);
        MaxError = Math.Max(MaxError, Max(s.Max));
        Central2 += Vector128.Sum(s.Central2);
        Central4 += Vector128.Sum(s.Central4);
        Outliers += (long)Vector128.Sum(s.Outliers);
        return n;
    }

    private struct Lanes128(double mean, double threshold)
    {
        public Vector128<double> Squared, Max, Central2, Central4, Outliers;
        private readonly Vector128<double> _mean = Vector128.Create(mean);
        private readonly Vector128<double> _threshold = Vector128.Create(threshold);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector128<double> x, Vector128<double> decoded)
        {
            var delta = decoded - x;
            Squared += delta * delta;
            Max = Vector128.Max(Max, Vector128.Abs(delta));
            var centered = x - _mean;
            var centered2 = centered * centered;
            Central2 += centered2;
            Central4 += centered2 * centered2;
            Outliers += Vector128.ConditionalSelect(Vector128.GreaterThan(Vector128.Abs(centered), _threshold), Vector128<double>.One, Vector128<double>.Zero);
        }
    }

    private static double Max(Vector128<double> v)
    {
        var max = 0.0;
        for (var i = 0; i < Vector128<double>.Count; i++)
            max = Math.Max(max, v.GetElement(i));
        return max;
    }
}
