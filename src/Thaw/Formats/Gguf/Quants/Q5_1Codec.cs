using System.Buffers.Binary;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q5_1 (<c>quantize_row_q5_1_ref</c>): per 32 elements, m = min, d = (max − min) / 31, both stored as fp16;
/// q = trunc((x − m) / d + 0.5) with no clamp (the sum is in [0.5, 31.5]). Nibbles and the uint32 of fifth bits
/// are laid out like Q5_0. 24 bytes per block: d, m, qh, 16 bytes of nibbles.
/// </summary>
internal sealed class Q5_1Codec() : GgmlRowCodec(GgmlType.Q5_1)
{
    private const int Block = 32;
    private const int Bytes = 24;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            float min = float.MaxValue, max = -float.MaxValue;
            foreach (var v in x)
            {
                // Comparisons, not MathF.Min/Max: a NaN must be skipped exactly as C's `if (v < min)` skips it.
                if (v < min)
                    min = v;
                if (v > max)
                    max = v;
            }
            var d = (max - min) / 31f;
            var id = BlockScale.Reciprocal(d);
            GgmlHalf.Write(y, d);
            GgmlHalf.Write(y[2..], min);
            uint qh = 0;
            for (var j = 0; j < Block / 2; j++)
            {
                // C's (uint8_t) cast of a value in [0.5, 31.5] is a truncation.
                var q0 = (int)((x[j] - min) * id + 0.5f);
                var q1 = (int)((x[j + 16] - min) * id + 0.5f);
                y[8 + j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= (uint)((q0 >> 4) & 1) << j;
                qh |= (uint)((q1 >> 4) & 1) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(y[4..], qh);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var d = GgmlHalf.Read(x);
            var m = GgmlHalf.Read(x[2..]);
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(x[4..]);
            var y = row.Slice(b * Block, Block);
            for (var j = 0; j < Block / 2; j++)
            {
                var q0 = (x[8 + j] & 0xF) | (int)((qh >> j) & 1) << 4;
                var q1 = (x[8 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
                y[j] = q0 * d + m;
                y[j + 16] = q1 * d + m;
            }
        }
    }
}
