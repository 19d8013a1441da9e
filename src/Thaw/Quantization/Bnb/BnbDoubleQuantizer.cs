namespace Thaw.Quantization.Bnb;

/// <summary>
/// Double quantization of a 4-bit weight's block maxima (bitsandbytes <c>compress_statistics</c>, HF
/// <c>bnb_4bit_use_double_quant</c>): offset = mean(absmax); the values absmax - offset are quantized blockwise with
/// the 8-bit dynamic map in blocks of 256, each block scaled by its own float32 maximum |value| (nested_absmax).
/// </summary>
public static class BnbDoubleQuantizer
{
    /// <summary>nested_blocksize: bitsandbytes always quantizes the maxima in blocks of 256.</summary>
    public const int NestedBlocksize = 256;

    /// <summary>Number of nested blocks for <paramref name="blocks"/> absmax values.</summary>
    public static int NestedBlockCount(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        return blocks / NestedBlocksize + (blocks % NestedBlocksize == 0 ? 0 : 1);
    }

    /// <summary>
    /// Quantizes <paramref name="absmax"/> (every block maximum of one weight, non-negative and finite) into
    /// <paramref name="codes"/> (one byte per block) and <paramref name="nestedAbsmax"/> (one float32 per 256 blocks);
    /// returns nested_offset.
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> absmax, Span<byte> codes, Span<float> nestedAbsmax)
    {
        if (codes.Length != absmax.Length)
            throw new ArgumentException($"codes holds {codes.Length} bytes; {absmax.Length} block maxima need as many", nameof(codes));
        if (nestedAbsmax.Length != NestedBlockCount(absmax.Length))
            throw new ArgumentException($"nestedAbsmax holds {nestedAbsmax.Length} values; {absmax.Length} block maxima need {NestedBlockCount(absmax.Length)}", nameof(nestedAbsmax));
        if (absmax.IsEmpty)
            return 0f;

        var offset = TorchCpuSum.Mean(absmax);
        Span<float> centered = stackalloc float[NestedBlocksize];
        for (var block = 0; block < nestedAbsmax.Length; block++)
        {
            var start = block * NestedBlocksize;
            var count = Math.Min(NestedBlocksize, absmax.Length - start);
            var max = 0f;
            for (var i = 0; i < count; i++)
            {
                centered[i] = absmax[start + i] - offset;
                max = MathF.Max(max, MathF.Abs(centered[i]));
            }
            nestedAbsmax[block] = max;
            // As in the 4-bit kernel: one IEEE reciprocal per block; a block of equal maxima gives NaN and code 0.
            var reciprocal = 1f / max;
            for (var i = 0; i < count; i++)
                codes[start + i] = DynamicMap.Quantize(centered[i] * reciprocal);
        }
        return offset;
    }
}
