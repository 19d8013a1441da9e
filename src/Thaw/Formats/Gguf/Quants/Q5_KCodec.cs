namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q5_K: the <see cref="KQuantScaleMinCodec"/> super-block with levels 0..31 (fit with rmin −0.5, 15 steps). The low
/// nibbles go in qs like Q4_K; the fifth bits go in qh[32]: bit 2c of qh[l] is element 64c + l, bit 2c + 1 is element
/// 64c + 32 + l. Layout: d, dmin, scales[12], qh[32], qs[128] = 176 bytes.
/// </summary>
internal sealed class Q5_KCodec() : KQuantScaleMinCodec(GgmlType.Q5_K, maxLevel: 31, rmin: -0.5f, nstep: 15)
{
    private const int QhOffset = 16;
    private const int QsOffset = 48;

    private protected override void PackLevels(ReadOnlySpan<byte> levels, Span<byte> block)
    {
        var qh = block.Slice(QhOffset, Sub);
        var qs = block.Slice(QsOffset, Block / 2);
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

    private protected override void DequantizeChunk(ReadOnlySpan<byte> block, int chunk, Span<float> values,
        float d1, float min1, float d2, float min2)
    {
        var qh = block.Slice(QhOffset, Sub);
        var qs = block.Slice(QsOffset + 32 * chunk, 32);
        for (var l = 0; l < 32; l++)
        {
            var low = (qs[l] & 0xF) | (((qh[l] >> (2 * chunk)) & 1) << 4);
            var high = (qs[l] >> 4) | (((qh[l] >> (2 * chunk + 1)) & 1) << 4);
            values[l] = d1 * low - min1;
            values[32 + l] = d2 * high - min2;
        }
    }
}
