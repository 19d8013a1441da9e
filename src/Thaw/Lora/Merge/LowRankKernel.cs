using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Lora.Merge;

/// <summary>
/// Adds a scaled low-rank product to rows of values: <c>values[i, c] += scale · Σ_j coefficients[i, j] · factors[j, c]</c>.
/// Each sum runs over j in order with every product and addition rounded to float32 (no fused multiply-add), then is
/// multiplied by the scale and added: <c>W + (B @ A) * s</c> as PEFT computes it in float32 on the CPU, which this
/// reproduces bit for bit on the fixtures (a fused chain differs in the last bit of ~3% of values). Every width gives
/// the same bits. Rows go four at a time so each loaded vector of factors serves four sums.
/// </summary>
internal static class LowRankKernel
{
    private const int RowBlock = 4;

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
        var shape = new Shape(rank, columns, scale);
        for (var first = 0; first < rows; first += RowBlock)
        {
            // A short last block repeats its last row: every block reads all its values before it writes any, so a
            // repeated row gets the same result written twice.
            var block = new Rows(first, Math.Min(first + 1, rows - 1), Math.Min(first + 2, rows - 1), Math.Min(first + 3, rows - 1));
            var done = 0;
            if (width >= SimdWidth.Vector512)
                done = Vector512Block(coefficients, factors, values, shape, block, done);
            if (width >= SimdWidth.Vector256)
                done = Vector256Block(coefficients, factors, values, shape, block, done);
            if (width >= SimdWidth.Vector128)
                done = Vector128Block(coefficients, factors, values, shape, block, done);
            for (var row = first; row < Math.Min(first + RowBlock, rows); row++)
                ScalarRow(coefficients.Slice(row * rank, rank), factors, columns, scale, values.Slice(row * columns, columns), done);
        }
    }

    private readonly record struct Shape(int Rank, int Columns, float Scale);

    private readonly record struct Rows(int R0, int R1, int R2, int R3);

    private static void ScalarRow(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, int columns, float scale, Span<float> values, int start)
    {
        for (var c = start; c < columns; c++)
        {
            var sum = coefficients[0] * factors[c];
            for (var j = 1; j < coefficients.Length; j++)
                sum += coefficients[j] * factors[j * columns + c];
            values[c] += scale * sum;
        }
    }

    private static int Vector512Block(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, Span<float> values, Shape shape, Rows rows, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var k = ref MemoryMarshal.GetReference(coefficients);
        ref var v = ref MemoryMarshal.GetReference(values);
        var (rank, columns) = (shape.Rank, shape.Columns);
        ref var k0 = ref Unsafe.Add(ref k, rows.R0 * rank);
        ref var k1 = ref Unsafe.Add(ref k, rows.R1 * rank);
        ref var k2 = ref Unsafe.Add(ref k, rows.R2 * rank);
        ref var k3 = ref Unsafe.Add(ref k, rows.R3 * rank);
        var scale = Vector512.Create(shape.Scale);
        for (; c <= columns - Vector512<float>.Count; c += Vector512<float>.Count)
        {
            var factor = Vector512.LoadUnsafe(ref f, (nuint)c);
            var s0 = Vector512.Create(k0) * factor;
            var s1 = Vector512.Create(k1) * factor;
            var s2 = Vector512.Create(k2) * factor;
            var s3 = Vector512.Create(k3) * factor;
            for (var j = 1; j < rank; j++)
            {
                factor = Vector512.LoadUnsafe(ref f, (nuint)(j * columns + c));
                s0 += Vector512.Create(Unsafe.Add(ref k0, j)) * factor;
                s1 += Vector512.Create(Unsafe.Add(ref k1, j)) * factor;
                s2 += Vector512.Create(Unsafe.Add(ref k2, j)) * factor;
                s3 += Vector512.Create(Unsafe.Add(ref k3, j)) * factor;
            }
            var o0 = (nuint)(rows.R0 * columns + c);
            var o1 = (nuint)(rows.R1 * columns + c);
            var o2 = (nuint)(rows.R2 * columns + c);
            var o3 = (nuint)(rows.R3 * columns + c);
            var v0 = Vector512.LoadUnsafe(ref v, o0) + scale * s0;
            var v1 = Vector512.LoadUnsafe(ref v, o1) + scale * s1;
            var v2 = Vector512.LoadUnsafe(ref v, o2) + scale * s2;
            var v3 = Vector512.LoadUnsafe(ref v, o3) + scale * s3;
            v0.StoreUnsafe(ref v, o0);
            v1.StoreUnsafe(ref v, o1);
            v2.StoreUnsafe(ref v, o2);
            v3.StoreUnsafe(ref v, o3);
        }
        return c;
    }

    private static int Vector256Block(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, Span<float> values, Shape shape, Rows rows, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var k = ref MemoryMarshal.GetReference(coefficients);
        ref var v = ref MemoryMarshal.GetReference(values);
        var (rank, columns) = (shape.Rank, shape.Columns);
        ref var k0 = ref Unsafe.Add(ref k, rows.R0 * rank);
        ref var k1 = ref Unsafe.Add(ref k, rows.R1 * rank);
        ref var k2 = ref Unsafe.Add(ref k, rows.R2 * rank);
        ref var k3 = ref Unsafe.Add(ref k, rows.R3 * rank);
        var scale = Vector256.Create(shape.Scale);
        for (; c <= columns - Vector256<float>.Count; c += Vector256<float>.Count)
        {
            var factor = Vector256.LoadUnsafe(ref f, (nuint)c);
            var s0 = Vector256.Create(k0) * factor;
            var s1 = Vector256.Create(k1) * factor;
            var s2 = Vector256.Create(k2) * factor;
            var s3 = Vector256.Create(k3) * factor;
            for (var j = 1; j < rank; j++)
            {
                factor = Vector256.LoadUnsafe(ref f, (nuint)(j * columns + c));
                s0 += Vector256.Create(Unsafe.Add(ref k0, j)) * factor;
                s1 += Vector256.Create(Unsafe.Add(ref k1, j)) * factor;
                s2 += Vector256.Create(Unsafe.Add(ref k2, j)) * factor;
                s3 += Vector256.Create(Unsafe.Add(ref k3, j)) * factor;
            }
            var o0 = (nuint)(rows.R0 * columns + c);
            var o1 = (nuint)(rows.R1 * columns + c);
            var o2 = (nuint)(rows.R2 * columns + c);
            var o3 = (nuint)(rows.R3 * columns + c);
            var v0 = Vector256.LoadUnsafe(ref v, o0) + scale * s0;
            var v1 = Vector256.LoadUnsafe(ref v, o1) + scale * s1;
            var v2 = Vector256.LoadUnsafe(ref v, o2) + scale * s2;
            var v3 = Vector256.LoadUnsafe(ref v, o3) + scale * s3;
            v0.StoreUnsafe(ref v, o0);
            v1.StoreUnsafe(ref v, o1);
            v2.StoreUnsafe(ref v, o2);
            v3.StoreUnsafe(ref v, o3);
        }
        return c;
    }

    private static int Vector128Block(ReadOnlySpan<float> coefficients, ReadOnlySpan<float> factors, Span<float> values, Shape shape, Rows rows, int c)
    {
        ref var f = ref MemoryMarshal.GetReference(factors);
        ref var k = ref MemoryMarshal.GetReference(coefficients);
        ref var v = ref MemoryMarshal.GetReference(values);
        var (rank, columns) = (shape.Rank, shape.Columns);
        ref var k0 = ref Unsafe.Add(ref k, rows.R0 * rank);
        ref var k1 = ref Unsafe.Add(ref k, rows.R1 * rank);
        ref var k2 = ref Unsafe.Add(ref k, rows.R2 * rank);
        ref var k3 = ref Unsafe.Add(ref k, rows.R3 * rank);
        var scale = Vector128.Create(shape.Scale);
        for (; c <= columns - Vector128<float>.Count; c += Vector128<float>.Count)
        {
            var factor = Vector128.LoadUnsafe(ref f, (nuint)c);
            var s0 = Vector128.Create(k0) * factor;
            var s1 = Vector128.Create(k1) * factor;
            var s2 = Vector128.Create(k2) * factor;
            var s3 = Vector128.Create(k3) * factor;
            for (var j = 1; j < rank; j++)
            {
                factor = Vector128.LoadUnsafe(ref f, (nuint)(j * columns + c));
                s0 += Vector128.Create(Unsafe.Add(ref k0, j)) * factor;
                s1 += Vector128.Create(Unsafe.Add(ref k1, j)) * factor;
                s2 += Vector128.Create(Unsafe.Add(ref k2, j)) * factor;
                s3 += Vector128.Create(Unsafe.Add(ref k3, j)) * factor;
            }
            var o0 = (nuint)(rows.R0 * columns + c);
            var o1 = (nuint)(rows.R1 * columns + c);
            var o2 = (nuint)(rows.R2 * columns + c);
            var o3 = (nuint)(rows.R3 * columns + c);
            var v0 = Vector128.LoadUnsafe(ref v, o0) + scale * s0;
            var v1 = Vector128.LoadUnsafe(ref v, o1) + scale * s1;
            var v2 = Vector128.LoadUnsafe(ref v, o2) + scale * s2;
            var v3 = Vector128.LoadUnsafe(ref v, o3) + scale * s3;
            v0.StoreUnsafe(ref v, o0);
            v1.StoreUnsafe(ref v, o1);
            v2.StoreUnsafe(ref v, o2);
            v3.StoreUnsafe(ref v, o3);
        }
        return c;
    }
}
