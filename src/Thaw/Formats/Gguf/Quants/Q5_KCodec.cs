namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q5_K (<c>quantize_row_q5_K_ref</c>, llama-quantize's path without an imatrix): Q4_K's super-block of 8
/// sub-blocks of 32 with 6-bit scales and mins, but levels 0..31 (fit with rmin −0.5, 15 steps). The fifth bits go in
/// qh[32]: bit 2c of qh[l] is element 64c + l, bit 2c + 1 is element 64c + 32 + l. Layout: d, dmin, scales[12],
/// qh[32], qs[128] = 176 bytes.
/// </summary>
internal sealed class Q5_KCodec() : GgmlRowCodec(GgmlType.Q5_K)
{
    private const int Block = 256;
    private const int Bytes = 176;
    private const int Sub = 32;
    private const int ScalesOffset = 4;
    private const int QhOffset = 16;
    private const int QsOffset = 48;

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
                scales[j] = KQuantMath.MakeQkx2Quants(31, xs, weights, levels.Slice(Sub * j, Sub), out mins[j], scratch, -0.5f, 0.1f, 15);
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
                var (sc, m) = Q4_KCodec.ScaleMin(j, packed);
                var dd = d * sc;
                // Sub-blocks with a zero scale keep the levels of the search, as in ggml.
                if (dd == 0)
                    continue;
                var dm = dmin * m;
                for (var i = 0; i < Sub; i++)
                    levels[Sub * j + i] = (byte)Math.Max(0, Math.Min(31, KQuantMath.NearestInt((x[Sub * j + i] + dm) / dd)));
            }

            var qh = y.Slice(QhOffset, Sub);
            var qs = y.Slice(QsOffset, Block / 2);
            for (var chunk = 0; chunk < Block / 64; chunk++)
            {
                for (var l = 0; l < 32; l++)
                {
                    int low = levels[64 * chunk + l], high = levels[64 * chunk + 32 + l];
                    qs[32 * chunk + l] = (byte)((low & 0xF) | ((high & 0xF) << 4));
                    qh[l] |= (byte)(((low >> 4) << (2 * chunk)) | ((high >> 4) << (2 * chunk + 1)));
                }
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
            var qh = x.Slice(QhOffset, Sub);
            var qs = x.Slice(QsOffset, Block / 2);
            for (var chunk = 0; chunk < Block / 64; chunk++)
            {
                var (sc1, m1) = Q4_KCodec.ScaleMin(2 * chunk, packed);
                var (sc2, m2) = Q4_KCodec.ScaleMin(2 * chunk + 1, packed);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                for (var l = 0; l < 32; l++)
                {
                    var low = (qs[32 * chunk + l] & 0xF) | (((qh[l] >> (2 * chunk)) & 1) << 4);
                    var high = (qs[32 * chunk + l] >> 4) | (((qh[l] >> (2 * chunk + 1)) & 1) << 4);
                    y[64 * chunk + l] = d1 * low - min1;
                    y[64 * chunk + 32 + l] = d2 * high - min2;
                }
            }
        }
    }
}
