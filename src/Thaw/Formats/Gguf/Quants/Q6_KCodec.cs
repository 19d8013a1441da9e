using System.Runtime.InteropServices;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q6_K (<c>quantize_row_q6_K_ref</c>): super-blocks of 256 = 16 sub-blocks of 16 with an int8 scale each under an
/// fp16 d; 6-bit levels split into low nibbles (ql) and 2 high bits (qh). Layout: ql[128], qh[64], scales[16], d
/// (last) = 210 bytes.
/// </summary>
internal sealed class Q6_KCodec() : GgmlRowCodec(GgmlType.Q6_K)
{
    private const int Block = 256;
    private const int Bytes = 210;
    private const int Sub = 16;
    private const int QhOffset = 128;
    private const int ScalesOffset = 192;
    private const int DOffset = 208;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        Span<sbyte> levels = stackalloc sbyte[Block];
        Span<float> scales = stackalloc float[Block / Sub];
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            y.Clear();
            for (var ib = 0; ib < Block / Sub; ib++)
                scales[ib] = KQuantMath.MakeQxQuants(32, x.Slice(Sub * ib, Sub), levels.Slice(Sub * ib, Sub));
            var maxScale = BlockScale.SignedAbsMax(scales);
            if (MathF.Abs(maxScale) < KQuantMath.GroupMaxEps)
                continue; // an all-zero block, d = 0

            var iscale = -128f / maxScale;
            GgmlHalf.Write(y[DOffset..], 1 / iscale);
            var blockScales = MemoryMarshal.Cast<byte, sbyte>(y.Slice(ScalesOffset, Block / Sub));
            for (var ib = 0; ib < Block / Sub; ib++)
                blockScales[ib] = (sbyte)Math.Min(127, KQuantMath.NearestInt(iscale * scales[ib]));

            var d = GgmlHalf.Read(y[DOffset..]);
            for (var j = 0; j < Block / Sub; j++)
            {
                var dd = d * blockScales[j];
                // Sub-blocks with a zero scale keep the levels of the search, as in ggml.
                if (dd == 0)
                    continue;
                for (var i = 0; i < Sub; i++)
                    levels[Sub * j + i] = (sbyte)(Math.Max(-32, Math.Min(31, KQuantMath.NearestInt(x[Sub * j + i] / dd))) + 32);
            }

            for (var half = 0; half < 2; half++)
            {
                var ql = y.Slice(64 * half, 64);
                var qh = y.Slice(QhOffset + 32 * half, 32);
                var l0 = 128 * half;
                for (var l = 0; l < 32; l++)
                {
                    int q1 = levels[l0 + l], q2 = levels[l0 + l + 32], q3 = levels[l0 + l + 64], q4 = levels[l0 + l + 96];
                    ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                    ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                    qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
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
            var d = GgmlHalf.Read(x[DOffset..]);
            var sc = MemoryMarshal.Cast<byte, sbyte>(x.Slice(ScalesOffset, Block / Sub));
            for (var half = 0; half < 2; half++)
            {
                var ql = x.Slice(64 * half, 64);
                var qh = x.Slice(QhOffset + 32 * half, 32);
                var s = sc.Slice(8 * half, 8);
                var o = y.Slice(128 * half, 128);
                for (var l = 0; l < 32; l++)
                {
                    var i = l / 16;
                    var q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    var q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    o[l] = d * s[i] * q1;
                    o[l + 32] = d * s[i + 2] * q2;
                    o[l + 64] = d * s[i + 4] * q3;
                    o[l + 96] = d * s[i + 6] * q4;
                }
            }
        }
    }
}
