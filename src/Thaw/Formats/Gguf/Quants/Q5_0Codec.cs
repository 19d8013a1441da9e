using System.Buffers.Binary;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q5_0 (<c>quantize_row_q5_0_ref</c>): per 32 elements, d = m / -16 where m is the signed value of largest
/// magnitude (the first one on ties), stored as fp16; q = min(31, trunc(x / d + 16.5)). The low four bits go in
/// nibbles like Q4_0 (byte j: element j low, element j + 16 high); bit 4 of element i is bit i of the
/// little-endian uint32 qh. 22 bytes per block: d, qh, 16 bytes of nibbles.
/// </summary>
internal sealed class Q5_0Codec() : GgmlRowCodec(GgmlType.Q5_0)
{
    private const int Block = 32;
    private const int Bytes = 22;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            var d = BlockScale.SignedAbsMax(x) / -16f;
            var id = BlockScale.Reciprocal(d);
            GgmlHalf.Write(y, d);
            uint qh = 0;
            for (var j = 0; j < Block / 2; j++)
            {
                // C's (int8_t) cast truncates toward zero; the sum lies in [0.5, 32.5], where (int) is the same.
                var q0 = Math.Min(31, (int)(x[j] * id + 16.5f));
                var q1 = Math.Min(31, (int)(x[j + 16] * id + 16.5f));
                y[6 + j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= (uint)(q0 >> 4) << j;
                qh |= (uint)(q1 >> 4) << (j + 16);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(y[2..], qh);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var d = GgmlHalf.Read(x);
            var qh = BinaryPrimitives.ReadUInt32LittleEndian(x[2..]);
            var y = row.Slice(b * Block, Block);
            for (var j = 0; j < Block / 2; j++)
            {
                var q0 = (x[6 + j] & 0xF) | (int)((qh >> j) & 1) << 4;
                var q1 = (x[6 + j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
                y[j] = (q0 - 16) * d;
                y[j + 16] = (q1 - 16) * d;
            }
        }
    }
}
