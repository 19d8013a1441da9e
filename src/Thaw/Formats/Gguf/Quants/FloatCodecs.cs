using System.Runtime.InteropServices;
using Thaw.Tensors;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>F32: the little-endian floats themselves.</summary>
internal sealed class F32Codec() : GgmlRowCodec(GgmlType.F32)
{
    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination) =>
        MemoryMarshal.AsBytes(row).CopyTo(destination);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row) =>
        source.CopyTo(MemoryMarshal.AsBytes(row));
}

/// <summary>
/// F16: GGML_FP32_TO_FP16 is round to nearest even, overflow to ±Inf, NaN to 0x7E00 with the sign, which is
/// exactly <see cref="FloatConversions.SingleToHalf"/> (c10's rule), so its SIMD kernels are reused.
/// </summary>
internal sealed class F16Codec() : GgmlRowCodec(GgmlType.F16)
{
    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination) =>
        FloatConversions.SingleToHalf(row, MemoryMarshal.Cast<byte, ushort>(destination));

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row) =>
        FloatConversions.HalfToSingle(MemoryMarshal.Cast<byte, ushort>(source), row);
}

/// <summary>
/// BF16: GGML_FP32_TO_BF16 rounds to nearest even like <see cref="FloatConversions.SingleToBFloat16"/>, but keeps
/// a NaN's sign and upper payload, setting the quiet bit ((bits >> 16) | 64) where c10 writes 0x7FC0; the shared
/// kernel runs first and NaN lanes are patched after.
/// </summary>
internal sealed class BF16Codec() : GgmlRowCodec(GgmlType.BF16)
{
    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination)
    {
        var bits = MemoryMarshal.Cast<byte, ushort>(destination);
        FloatConversions.SingleToBFloat16(row, bits);
        for (var i = 0; i < row.Length; i++)
        {
            if (float.IsNaN(row[i]))
                bits[i] = (ushort)((BitConverter.SingleToUInt32Bits(row[i]) >> 16) | 64);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row) =>
        FloatConversions.BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), row);
}
