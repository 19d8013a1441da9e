namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q4_0 (<c>quantize_row_q4_0_ref</c>): per 32 elements, d = m / -8 where m is the signed value of largest
/// magnitude (the first one on ties), stored as fp16; q = min(15, trunc(x / d + 8.5)). Byte j holds element j in
/// its low nibble and element j + 16 in its high nibble. 18 bytes per block.
/// </summary>
internal sealed class Q4_0Codec() : GgmlRowCodec(GgmlType.Q4_0)
{
    private const int Block = 32;
    private const int Bytes = 18;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            var d = BlockScale.SignedAbsMax(x) / -8f;
            var id = BlockScale.Reciprocal(d);
            GgmlHalf.Write(y, d);
            for (var j = 0; j < Block / 2; j++)
            {
                // C's (int8_t) cast truncates toward zero; the sum lies in [0.5, 16.5], where (int) is the same.
                var q0 = Math.Min(15, (int)(x[j] * id + 8.5f));
                var q1 = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
                y[2 + j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var d = GgmlHalf.Read(x);
            var y = row.Slice(b * Block, Block);
            for (var j = 0; j < Block / 2; j++)
            {
                y[j] = ((x[2 + j] & 0xF) - 8) * d;
                y[j + 16] = ((x[2 + j] >> 4) - 8) * d;
            }
        }
    }
}
