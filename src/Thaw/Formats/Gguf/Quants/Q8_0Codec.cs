namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q8_0 (<c>quantize_row_q8_0_ref</c>): per 32 elements, d = max|x| / 127 stored as fp16 and
/// q = roundf(x / d) (half away from zero) as int8; the quotient uses the unrounded d. 34 bytes per block.
/// </summary>
internal sealed class Q8_0Codec() : GgmlRowCodec(GgmlType.Q8_0)
{
    private const int Block = 32;
    private const int Bytes = 34;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            var amax = 0f;
            foreach (var v in x)
            {
                var a = MathF.Abs(v);
                amax = amax > a ? amax : a;
            }
            var d = amax / 127f;
            var id = d != 0 ? 1f / d : 0f;
            GgmlHalf.Write(y, d);
            for (var j = 0; j < Block; j++)
                y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var d = GgmlHalf.Read(x);
            var y = row.Slice(b * Block, Block);
            for (var j = 0; j < Block; j++)
                y[j] = (sbyte)x[2 + j] * d;
        }
    }
}
