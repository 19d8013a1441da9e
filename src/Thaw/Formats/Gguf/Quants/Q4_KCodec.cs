namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q4_K (<c>quantize_row_q4_K_ref</c>, llama-quantize's path without an imatrix): super-blocks of 256 = 8
/// sub-blocks of 32 with a 6-bit scale and min each (packed in 12 bytes), under fp16 d and dmin; 4-bit levels.
/// Layout: d, dmin, scales[12], qs[128] = 144 bytes.
/// </summary>
internal sealed class Q4_KCodec() : GgmlRowCodec(GgmlType.Q4_K)
{
    private const int Block = 256;
    private const int Bytes = 144;
    private const int Sub = 32;
    private const int ScalesOffset = 4;
    private const int QsOffset = 16;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        Span<byte> levels = stackalloc byte[Block];
        Span<byte> scratch = stackalloc byte[Sub];
        Span<float> weights = stackalloc float[Sub];
        Span<float> scales = stackalloc float[Block / Sub];
        Span<float> mins = stackalloc float[Block / Sub];
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
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
                scales[j] = KQuantMath.MakeQkx2Quants(15, xs, weights, levels.Slice(Sub * j, Sub), out mins[j], scratch, -1f, 0.1f, 20);
                if (scales[j] > maxScale)
                    maxScale = scales[j];
                if (mins[j] > maxMin)
                    maxMin = mins[j];
            }

            var invScale = maxScale > 0 ? 63f / maxScale : 0f;
            var invMin = maxMin > 0 ? 63f / maxMin : 0f;
            var packed = y.Slice(ScalesOffset, 12);
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
                    levels[Sub * j + i] = (byte)Math.Max(0, Math.Min(15, KQuantMath.NearestInt((x[Sub * j + i] + dm) / dd)));
            }

            var qs = y.Slice(QsOffset, Block / 2);
            for (var chunk = 0; chunk < Block / 64; chunk++)
            {
                for (var l = 0; l < 32; l++)
                    qs[32 * chunk + l] = (byte)(levels[64 * chunk + l] | (levels[64 * chunk + 32 + l] << 4));
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var y = row.Slice(b * Block, Block);
            var d = GgmlHalf.Read(x);
            var min = GgmlHalf.Read(x[2..]);
            var packed = x.Slice(ScalesOffset, 12);
            var qs = x.Slice(QsOffset, Block / 2);
            for (var chunk = 0; chunk < Block / 64; chunk++)
            {
                var (sc1, m1) = ScaleMin(2 * chunk, packed);
                var (sc2, m2) = ScaleMin(2 * chunk + 1, packed);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                for (var l = 0; l < 32; l++)
                {
                    y[64 * chunk + l] = d1 * (qs[32 * chunk + l] & 0xF) - min1;
                    y[64 * chunk + 32 + l] = d2 * (qs[32 * chunk + l] >> 4) - min2;
                }
            }
        }
    }

    /// <summary>get_scale_min_k4: the 6-bit scale and min of sub-block <paramref name="j"/>.</summary>
    internal static (byte Scale, byte Min) ScaleMin(int j, ReadOnlySpan<byte> q) =>
        j < 4
            ? ((byte)(q[j] & 63), (byte)(q[j + 4] & 63))
            : ((byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)), (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4)));
}
