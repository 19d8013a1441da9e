using System.Buffers.Binary;
using Thaw.Tensors;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>The fp16 scales inside quantized blocks (little-endian, GGML_FP32_TO_FP16 / GGML_FP16_TO_FP32).</summary>
internal static class GgmlHalf
{
    public static void Write(Span<byte> destination, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(destination, FloatConversions.SingleToHalfBits(value));

    public static float Read(ReadOnlySpan<byte> source) =>
        FloatConversions.HalfBitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source));
}
