using Thaw.Pipeline.Sources;

namespace Thaw.Lora;

/// <summary>Frobenius norms of a LoRA delta and of a base weight, computed without materializing either.</summary>
public static class LoraNorms
{
    private const int ChunkValues = 1 << 20;

    /// <summary>
    /// ||s·B·A||_F for A [r, n] and B [m, r] (row-major), as sqrt(s² · trace((BᵀB)(AAᵀ))) with both r×r Gram
    /// matrices accumulated in double: O((m + n)·r²) work and r² memory instead of the m×n delta. Transposing the delta
    /// (Conv1D, Embedding) does not change the norm.
    /// </summary>
    public static double Delta(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rank, double scaling)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        if (a.Length % rank != 0 || b.Length % rank != 0)
            throw new ArgumentException($"A ({a.Length} values) and B ({b.Length} values) are not multiples of rank {rank}");
        var n = a.Length / rank;
        var gramA = new double[rank * rank];
        for (var i = 0; i < rank; i++)
        {
            var rowI = a.Slice(i * n, n);
            for (var j = i; j < rank; j++)
            {
                var rowJ = a.Slice(j * n, n);
                double sum = 0;
                for (var k = 0; k < n; k++)
                    sum += (double)rowI[k] * rowJ[k];
                gramA[i * rank + j] = gramA[j * rank + i] = sum;
            }
        }
        var gramB = new double[rank * rank];
        for (var row = 0; row < b.Length; row += rank)
        {
            var r = b.Slice(row, rank);
            for (var i = 0; i < rank; i++)
            {
                double bi = r[i];
                for (var j = i; j < rank; j++)
                    gramB[i * rank + j] += bi * r[j];
            }
        }
        // Both are symmetric: trace(GB·GA) = Σ_ij GB[i,j]·GA[i,j]; only GB's upper triangle was filled.
        double trace = 0;
        for (var i = 0; i < rank; i++)
        {
            trace += gramB[i * rank + i] * gramA[i * rank + i];
            for (var j = i + 1; j < rank; j++)
                trace += 2 * gramB[i * rank + j] * gramA[i * rank + j];
        }
        return Math.Abs(scaling) * Math.Sqrt(Math.Max(trace, 0));
    }

    /// <summary>||W||_F of a base tensor, read in row chunks (4-bit weights are decoded as bitsandbytes does).</summary>
    public static double Base(ITensorRowSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.RowCount == 0 || source.RowLength == 0)
            return 0;
        var rowsPerChunk = (int)Math.Clamp(ChunkValues / source.RowLength, 1, Math.Min(source.RowCount, int.MaxValue));
        var buffer = new float[checked(rowsPerChunk * source.RowLength)];
        double sum = 0;
        for (long row = 0; row < source.RowCount; row += rowsPerChunk)
        {
            var rows = (int)Math.Min(rowsPerChunk, source.RowCount - row);
            var values = buffer.AsSpan(0, (int)(rows * source.RowLength));
            source.ReadRows(row, rows, values);
            foreach (var v in values)
                sum += (double)v * v;
        }
        return Math.Sqrt(sum);
    }
}
