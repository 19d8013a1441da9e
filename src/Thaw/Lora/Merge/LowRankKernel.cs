using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Lora.Merge;

/// <summary>
/// Adds a scaled low-rank product to rows of values: <c>values[i, c] += scale · Σ_j coefficients[i, j] · factors[j, c]</c>.
/// Each sum runs over j in order with every product and addition rounded to float32 (no fused multiply-add), then is
/// multiplied by the scale and added: <c>W + (B @ A) * s</c> as PEFT computes it in float32 on the CPU, which this
/// reproduces bit for bit on the fixtures (a fused chain differs in the last bit of ~3% of values). Every width gives the same bits.
/// </summary>
internal static class LowRankKernel
{
    /// <param name="coefficients">rowCount × rank values: one row of coefficients per row of values.</param>
    /// <param name="factors">rank × columns values.</param>
    /// <param name="rank">The number of terms per sum.</param>
    /// <param name="scale">The factor applied to each sum.</param>
    /// <param name="values">rowCount × columns values, updated in place.</param>
    public static void AddScaledProduct(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int rank, float scale, Span<float> values) =>
        AddScaledProduct(coefficients, factors, rank, scale, values, SimdWidths.Widest);

    internal static void AddScaledProduct(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int rank, float scale, Span<float> values, SimdWidth width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        if (factors.Length % rank != 0 || coefficients.Length % rank != 0)
            throw new ArgumentException($"coefficients ({coefficients.Length}) and factors ({factors.Length}) must be whole multiples of the rank {rank}");
        var columns = factors.Length / rank;
        var rows = coefficients.Length / rank;
        if ((long)rows * columns != values.Length)
            throw new ArgumentException($"values hold {values.Length} elements; {rows} rows of {columns} columns need {(long)rows * columns}", nameof(values));
        for (var row = 0; row < rows; row++)
        {
            var rowCoefficients = coefficients.Slice(row * rank, rank);
            var rowValues = values.Slice(row * columns, columns);
            var done = 0;
            if (width >= SimdWidth.Vector512)
                done = Vector512Path(rowCoefficients, factors, columns, scale, rowValues, done);
            if (width >= SimdWidth.Vector256)
                done = Vector256Path(rowCoefficients, factors, columns, scale, rowValues, done);
            if (width >= SimdWidth.Vector128)
                done = Vector128Path(rowCoefficients, factors, columns, scale, rowValues, done);
            ScalarPath(rowCoefficients, factors, columns, scale, rowValues, done);
        }
    }

    private static void ScalarPath(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int columns, float scale, Span<float> values, int start)
    {
        for (var c = start; c < columns; c++)
        {
            var sum = coefficients[0] * factors[c];
            for (var j = 1; j < coefficients.Length; j++)
                sum += coefficients[j] * factors[j * columns + c];
            values[c] += scale * sum;
        }
    }

    private static int Vector128Path(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int columns, float scale, Span<float> values, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var v = ref MemoryMarshal.GetReference(values);
        var s = Vector128.Create(scale);
        for (; c <= columns - Vector128<float>.Count; c += Vector128<float>.Count)
        {
            var sum = Vector128.Create(coefficients[0]) * Vector128.LoadUnsafe(ref f, (nuint)c);
            for (var j = 1; j < coefficients.Length; j++)
                sum += Vector128.Create(coefficients[j]) * Vector128.LoadUnsafe(ref f, (nuint)(j * columns + c));
            (Vector128.LoadUnsafe(ref v, (nuint)c) + s * sum).StoreUnsafe(ref v, (nuint)c);
        }
        return c;
    }

    private static int Vector256Path(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int columns, float scale, Span<float> values, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var v = ref MemoryMarshal.GetReference(values);
        var s = Vector256.Create(scale);
        for (; c <= columns - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            var sum = Vector256.Create(coefficients[0]) * Vector256.LoadUnsafe(ref f, (nuint)c);
            for (var j = 1; j < coefficients.Length; j++)
                sum += Vector256.Create(coefficients[j]) * Vector256.LoadUnsafe(ref f, (nuint)(j * columns + c));
            (Vector256.LoadUnsafe(ref v, (nuint)c) + s * sum).StoreUnsafe(ref v, (nuint)c);
        }
        return c;
    }

    private static int Vector512Path(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int columns, float scale, Span<float> values, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var v = ref MemoryMarshal.GetReference(values);
        var s = Vector512.Create(scale);
        for (; c <= columns - Vector512<float>.Count; c += Vector512<float>.Count)
        {
            var sum = Vector512.Create(coefficients[0]) * Vector512.LoadUnsafe(ref f, (nuint)c);
            for (var j = 1; j < coefficients.Length; j++)
                sum += Vector512.Create(coefficients[j]) * Vector512.LoadUnsafe(ref f, (nuint)(j * columns + c));
            (Vector512.LoadUnsafe(ref v, (nuint)c) + s * sum).StoreUnsafe(ref v, (nuint)c);
        }
        return c;
    }
}
