using System.Numerics;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// float32 <c>tensor.sum()</c> / <c>tensor.mean()</c> of a contiguous 1-D tensor exactly as PyTorch's CPU kernel
/// adds (ATen <c>SumKernel.cpp</c> <c>cascade_sum</c>, single thread, AVX-512 build: 16-lane float accumulators,
/// four interleaved rows, a four-level cascade, then the lanes in order). bitsandbytes' pure-PyTorch backend takes
/// the double-quantization offset as <c>absmax.mean()</c>, so this reproduces the offsets of CPU-quantized
/// checkpoints bit for bit (up to 32767 blocks; above that torch splits the sum across its threads). Any offset is
/// valid because it is stored; this one is chosen so that the reference files can be reproduced.
/// </summary>
internal static class TorchCpuSum
{
    private const int Lanes = 16;
    private const int Interleave = 4;
    private const int Levels = 4;

    /// <summary>torch.mean: the sum divided by the count, both float32.</summary>
    public static float Mean(ReadOnlySpan<float> values) => Sum(values) / values.Length;

    public static float Sum(ReadOnlySpan<float> values)
    {
        if (values.Length < Lanes)
            return RowSum(values, values.Length, 1)[0];

        // Whole 16-lane vectors are summed as a row of vectors; the leftover scalars come first, then each lane.
        var vectors = values.Length / Lanes;
        var laneSums = RowSum(values, vectors, Lanes);
        var total = 0f;
        for (var i = vectors * Lanes; i < values.Length; i++)
            total += values[i];
        foreach (var lane in laneSums)
            total += lane;
        return total;
    }

    // row_sum over `count` elements of `width` lanes each (width 1 = scalars): four interleaved partial sums by
    // multi_row_sum, the leftover elements added to the first, then the four combined in order.
    private static float[] RowSum(ReadOnlySpan<float> values, int count, int width)
    {
        var rows = count / Interleave;
        var partial = MultiRowSum(values, rows, width);
        for (var i = rows * Interleave; i < count; i++)
            AddElement(partial[0], values, i, width);
        for (var k = 1; k < Interleave; k++)
            AddInPlace(partial[0], partial[k]);
        return partial[0];
    }

    // multi_row_sum: element i*4 + k goes to accumulator k; every 16 rows the level-0 sums are pushed up the cascade.
    private static float[][] MultiRowSum(ReadOnlySpan<float> values, int rows, int width)
    {
        var levelPower = Math.Max(4, CeilLog2(rows) / Levels);
        var levelStep = 1 << levelPower;
        var levelMask = levelStep - 1;
        var acc = new float[Levels][][];
        for (var level = 0; level < Levels; level++)
        {
            acc[level] = new float[Interleave][];
            for (var k = 0; k < Interleave; k++)
                acc[level][k] = new float[width];
        }

        var i = 0;
        while (i + levelStep <= rows)
        {
            for (var j = 0; j < levelStep; j++, i++)
            {
                for (var k = 0; k < Interleave; k++)
                    AddElement(acc[0][k], values, (i * Interleave) + k, width);
            }
            for (var level = 1; level < Levels; level++)
            {
                for (var k = 0; k < Interleave; k++)
                {
                    AddInPlace(acc[level][k], acc[level - 1][k]);
                    Array.Clear(acc[level - 1][k]);
                }
                if ((i & (levelMask << (level * levelPower))) != 0)
                    break;
            }
        }
        for (; i < rows; i++)
        {
            for (var k = 0; k < Interleave; k++)
                AddElement(acc[0][k], values, (i * Interleave) + k, width);
        }
        for (var level = 1; level < Levels; level++)
        {
            for (var k = 0; k < Interleave; k++)
                AddInPlace(acc[0][k], acc[level][k]);
        }
        return acc[0];
    }

    private static void AddElement(float[] sum, ReadOnlySpan<float> values, int element, int width)
    {
        var source = values.Slice(element * width, width);
        for (var lane = 0; lane < width; lane++)
            sum[lane] += source[lane];
    }

    private static void AddInPlace(float[] sum, float[] addend)
    {
        for (var lane = 0; lane < sum.Length; lane++)
            sum[lane] += addend[lane];
    }

    // c10::utils::CeilLog2: 1 for x <= 2.
    private static int CeilLog2(int x) => x <= 2 ? 1 : 32 - BitOperations.LeadingZeroCount((uint)(x - 1));
}
