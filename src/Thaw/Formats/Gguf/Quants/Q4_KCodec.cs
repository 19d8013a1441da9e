namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q4_K: the <see cref="KQuantScaleMinCodec"/> super-block with 4-bit levels (fit with rmin −1, 20 steps). Byte l of
/// qs chunk c holds element 64c + l in its low nibble and 64c + 32 + l in its high nibble.
/// Layout: d, dmin, scales[12], qs[128] = 144 bytes.
/// </summary>
internal sealed class Q4_KCodec() : KQuantScaleMinCodec(GgmlType.Q4_K, maxLevel: 15, rmin: -1f, nstep: 20)
{
    private const int QsOffset = 16;

    private protected override void PackLevels(ReadOnlySpan<byte> levels, Span<byte> block)
    {
        var qs = block.Slice(QsOffset, Block / 2);
        for (var chunk = 0; chunk < Block / 64; chunk++)
        {
            for (var l = 0; l < 32; l++)
                qs[32 * chunk + l] = (byte)(levels[64 * chunk + l] | (levels[64 * chunk + 32 + l] << 4));
        }
    }

    private protected override void DequantizeChunk(ReadOnlySpan<byte> block, int chunk, Span<float> values,
        float d1, float min1, float d2, float min2)
    {
        var qs = block.Slice(QsOffset + 32 * chunk, 32);
        for (var l = 0; l < 32; l++)
        {
            values[l] = d1 * (qs[l] & 0xF) - min1;
            values[32 + l] = d2 * (qs[l] >> 4) - min2;
        }
    }
}
