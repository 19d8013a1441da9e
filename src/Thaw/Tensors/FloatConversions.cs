using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thaw.Tensors;

/// <summary>
/// Floating-point element conversions, bit-exact with PyTorch's CPU reference conversions (c10): round to
/// nearest even, overflow to Inf, subnormals kept. 16-bit values travel as their raw bits (<see cref="ushort"/>).
/// Span converters need spans of equal length that do not overlap; they use the widest SIMD the machine has.
/// </summary>
public static partial class FloatConversions
{
    /// <summary>bfloat16 bits → float32 (exact).</summary>
    public static float BFloat16BitsToSingle(ushort bits) => BFloat16Kernels.ToSingle(bits);

    /// <summary>float32 → bfloat16 bits, round to nearest even; every NaN becomes 0x7FC0 as in c10.</summary>
    public static ushort SingleToBFloat16Bits(float value) => BFloat16Kernels.FromSingle(value);

    /// <summary>float16 bits → float32 (exact; a signalling NaN comes back quiet with its payload).</summary>
    public static float HalfBitsToSingle(ushort bits) => HalfKernels.ToSingle(bits);

    /// <summary>float32 → float16 bits, round to nearest even, overflow to ±Inf; every NaN becomes ±0x7E00 as in c10.</summary>
    public static ushort SingleToHalfBits(float value) => HalfKernels.FromSingle(value);

    /// <summary>float8 e4m3fn bits → float32 (exact; 0x7F and 0xFF are NaN, there is no Inf).</summary>
    public static float Float8E4M3BitsToSingle(byte bits) => Float8Kernels.E4M3ToSingle(bits);

    /// <summary>float8 e5m2 bits → float32 (exact; IEEE-style Inf and NaN).</summary>
    public static float Float8E5M2BitsToSingle(byte bits) => Float8Kernels.E5M2ToSingle(bits);

    public static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination) =>
        BFloat16Kernels.ToSingle(source, destination, SimdWidths.Widest);

    public static void SingleToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination) =>
        BFloat16Kernels.FromSingle(source, destination, SimdWidths.Widest);

    public static void HalfToSingle(ReadOnlySpan<ushort> source, Span<float> destination) =>
        HalfKernels.ToSingle(source, destination, SimdWidths.Widest);

    public static void SingleToHalf(ReadOnlySpan<float> source, Span<ushort> destination) =>
        HalfKernels.FromSingle(source, destination, SimdWidths.Widest);

    public static void Float8E4M3ToSingle(ReadOnlySpan<byte> source, Span<float> destination) =>
        Float8Kernels.E4M3ToSingle(source, destination);

    public static void Float8E5M2ToSingle(ReadOnlySpan<byte> source, Span<float> destination) =>
        Float8Kernels.E5M2ToSingle(source, destination);

    /// <summary>float64 → float32 with the IEEE cast (round to nearest even), as torch does.</summary>
    public static void DoubleToSingle(ReadOnlySpan<double> source, Span<float> destination)
    {
        ConversionGuard.Check(source, destination);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        // One instruction per element on 8-byte inputs: memory bound without SIMD, and float64 tensors are rare.
        for (nuint i = 0; i < (nuint)source.Length; i++)
            Unsafe.Add(ref dst, i) = (float)Unsafe.Add(ref src, i);
    }
}
