namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// The super-block Q4_K and Q5_K share (<c>quantize_row_q4_K_ref</c>, <c>quantize_row_q5_K_ref</c>, llama-quantize's
/// path without an imatrix): 256 values = 8 sub-blocks of 32, each fit to levels 0..maxLevel with its own scale and min
/// (<see cref="KQuantMath.MakeQkx2Quants"/>), the 8 scales and 8 mins quantized to 6 bits under fp16 d and dmin.
/// Header: d, dmin, scales[12]; the codec packs the levels after it.
/// </summary>
internal abstract class KQuantScaleMinCodec(GgmlType type, int maxLevel, float rmin, int nstep) : GgmlRowCodec(type)
{
    private protected const int Block = 256;
    private protected const int Sub = 32;
    private protected const int ScalesOffset = 4;
    private protected const int ScalesBytes = 12;

    private protected sealed override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        Span<byte> levels = stackalloc byte[Block];
        Span<byte> scratch = stackalloc byte[Sub];
        Span<float> weights = stackalloc float[Sub];
        Span<float> scales = stackalloc float[Block / Sub];
        Span<float> mins = stackalloc float[Block / Sub];
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * BlockBytes, BlockBytes);
            y.Clear();
            float maxScale = 0, maxMin = 0;
            for (var j = 0; j < Block / Sub; j++)
            {
                var xs = x.Slice(Sub * j, Sub);
                var sumX2 = 0f;
                foreach (var v in xs)
                    sumX2 += v * v;
                var avX = MathF.Sqrt(sumX2 / 32);
                for (var l = 0; l < Sub; l++)
                    weights[l] = avX + MathF.Abs(xs[l]);
                scales[j] = KQuantMath.MakeQkx2Quants(maxLevel, xs, weights, levels.Slice(Sub * j, Sub), out mins[j], scratch, rmin, 0.1f, nstep);
                if (scales[j] > maxScale)
                    maxScale = scales[j];
                if (mins[j] > maxMin)
                    maxMin = mins[j];
            }

            var packed = y.Slice(ScalesOffset, ScalesBytes);
            PackScalesAndMins(scales, mins, maxScale, maxMin, packed);
            GgmlHalf.Write(y, maxScale / 63f);
            GgmlHalf.Write(y[2..], maxMin / 63f);
            var d = GgmlHalf.Read(y);
            var dmin = GgmlHalf.Read(y[2..]);

            for (var j = 0; j < Block / Sub; j++)
            {
                var (sc, m) = ScaleMin(j, packed);
                var dd = d * sc;
                // Sub-blocks with a zero scale keep the levels of the search, as in ggml.
                if (dd == 0)
                    continue;
                var dm = dmin * m;
                for (var i = 0; i < Sub; i++)
                    levels[Sub * j + i] = (byte)Math.Max(0, Math.Min(maxLevel, KQuantMath.NearestInt((x[Sub * j + i] + dm) / dd)));
            }

            PackLevels(levels, y);
        }
    }

    private protected sealed override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * BlockBytes, BlockBytes);
            var y = row.Slice(b * Block, Block);
            var d = GgmlHalf.Read(x);
            var min = GgmlHalf.Read(x[2..]);
            var packed = x.Slice(ScalesOffset, ScalesBytes);
            for (var chunk = 0; chunk < Block / 64; chunk++)
            {
                var (sc1, m1) = ScaleMin(2 * chunk, packed);
                var (sc2, m2) = ScaleMin(2 * chunk + 1, packed);
                DequantizeChunk(x, chunk, y.Slice(64 * chunk, 64), d * sc1, min * m1, d * sc2, min * m2);
            }
        }
    }

    /// <summary>Writes the 256 final levels (0..maxLevel) of one super-block into its bytes <paramref name="block"/>.</summary>
    private protected abstract void PackLevels(ReadOnlySpan<byte> levels, Span<byte> block);

    /// <summary>Decodes the 64 values of <paramref name="chunk"/> (sub-blocks 2·chunk and 2·chunk + 1) of the
    /// super-block <paramref name="block"/>: level·d1 − min1 for the first 32, level·d2 − min2 for the next 32.</summary>
    private protected abstract void DequantizeChunk(ReadOnlySpan<byte> block, int chunk, Span<float> values,
        float d1, float min1, float d2, float min2);

    /// <summary>get_scale_min_k4: the 6-bit scale and min of sub-block <paramref name="j"/>.</summary>
    private protected static (byte Scale, byte Min) ScaleMin(int j, ReadOnlySpan<byte> q) =>
        j < 4
            ? ((byte)(q[j] & 63), (byte)(q[j + 4] & 63))
            : ((byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)), (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4)));

    /// <summary>The inverse of <see cref="ScaleMin"/>: 6-bit scales and mins relative to the largest of each;
    /// <paramref name="packed"/> must be zero.</summary>
    private static void PackScalesAndMins(ReadOnlySpan<float> scales, ReadOnlySpan<float> mins, float maxScale, float maxMin, Span<byte> packed)
    {
        var invScale = maxScale > 0 ? 63f / maxScale : 0f;
        var invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (var j = 0; j < Block / Sub; j++)
        {
            // ggml stores nearest_int into a uint8_t before the MIN: the same modulo-256 wrap.
            var ls = Math.Min((byte)63, (byte)KQuantMath.NearestInt(invScale * scales[j]));
            var lm = Math.Min((byte)63, (byte)KQuantMath.NearestInt(invMin * mins[j]));
            if (j < 4)
            {
                packed[j] = ls;
                packed[j + 4] = lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }
    }
}
