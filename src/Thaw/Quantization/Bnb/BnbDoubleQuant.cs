namespace Thaw.Quantization.Bnb;

/// <summary>
/// The block maxima of a double-quantized 4-bit weight, rebuilt from their 8-bit codes exactly as bitsandbytes does
/// (spec §3.3): <c>absmax[i] = f32(f32(nested_quant_map[code[i]] * nested_absmax[i / nested_blocksize]) + offset)</c>,
/// two float32 roundings (the blockwise dequant kernel's multiply, then torch's <c>absmax += offset</c>), no fused
/// multiply-add, with the stored table and offset.
/// </summary>
public static class BnbDoubleQuant
{
    /// <summary>
    /// Rebuilds maxima [firstBlock, firstBlock + codes.Length) into <paramref name="destination"/>.
    /// <paramref name="nestedAbsmax"/> is the whole nested_absmax tensor.
    /// </summary>
    public static void DequantizeAbsmax(
        ReadOnlySpan<byte> codes, long firstBlock, ReadOnlySpan<float> nestedQuantMap, ReadOnlySpan<float> nestedAbsmax,
        int nestedBlocksize, float offset, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstBlock);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nestedBlocksize);
        if (nestedQuantMap.Length != BnbStoredLayout.NestedQuantMapLength)
            throw new ArgumentException($"nested quant map holds {nestedQuantMap.Length} values, expected {BnbStoredLayout.NestedQuantMapLength}", nameof(nestedQuantMap));
        if (destination.Length != codes.Length)
            throw new ArgumentException($"destination holds {destination.Length} values for {codes.Length} codes", nameof(destination));
        if (codes.IsEmpty)
            return;
        var lastNested = (firstBlock + codes.Length - 1) / nestedBlocksize;
        if (lastNested >= nestedAbsmax.Length)
            throw new ArgumentException($"blocks up to {firstBlock + codes.Length - 1} need {lastNested + 1} nested maxima, got {nestedAbsmax.Length}", nameof(nestedAbsmax));

        // One nested block at a time, so the division happens per nested block, not per code.
        var done = 0;
        while (done < codes.Length)
        {
            var block = firstBlock + done;
            var nested = (int)(block / nestedBlocksize);
            var run = (int)Math.Min(codes.Length - done, (long)(nested + 1) * nestedBlocksize - block);
            var scale = nestedAbsmax[nested];
            var runCodes = codes.Slice(done, run);
            var runOut = destination.Slice(done, run);
            for (var i = 0; i < runCodes.Length; i++)
                runOut[i] = (float)((float)(nestedQuantMap[runCodes[i]] * scale) + offset);
            done += run;
        }
    }
}
