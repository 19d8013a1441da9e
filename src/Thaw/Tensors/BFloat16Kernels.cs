using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Thaw.Tensors;

/// <summary>
/// bfloat16 ⇄ float32, bit-exact with PyTorch's c10::BFloat16: widening is the exact 16-bit shift; narrowing
/// rounds to nearest even on the bit pattern and turns every NaN into 0x7FC0 (c10's round_to_nearest_even).
/// (torch's AVX2/AVX-512 copy kernels write 0xFFFF for NaN instead; only NaN bits differ.)
/// </summary>
internal static class BFloat16Kernels
{
    private const ushort CanonicalNaN = 0x7FC0;

    public static float ToSingle(ushort bits) => ToSingleOperator.Invoke(bits);

    public static ushort FromSingle(float value) => FromSingleOperator.Invoke(value);

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination, SimdWidth maxWidth) =>
        WideningLoop<ToSingleOperator, ushort, float>.Run(source, destination, maxWidth);

    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination, SimdWidth maxWidth) =>
        NarrowingLoop<FromSingleOperator, float, ushort>.Run(source, destination, maxWidth);

    /// <summary>bfloat16 bits → float32: the exact 16-bit shift.</summary>
    public readonly struct ToSingleOperator : IWideningOperator<ushort, float>
    {
        public static float Invoke(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector128<float> Lower, Vector128<float> Upper) Invoke(Vector128<ushort> value)
        {
            var (lower, upper) = Vector128.Widen(value);
            return ((lower << 16).AsSingle(), (upper << 16).AsSingle());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<float> Lower, Vector256<float> Upper) Invoke(Vector256<ushort> value)
        {
            var (lower, upper) = Vector256.Widen(value);
            return ((lower << 16).AsSingle(), (upper << 16).AsSingle());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector512<float> Lower, Vector512<float> Upper) Invoke(Vector512<ushort> value)
        {
            var (lower, upper) = Vector512.Widen(value);
            return ((lower << 16).AsSingle(), (upper << 16).AsSingle());
        }
    }

    /// <summary>
    /// float32 → bfloat16 bits. Vector lanes apply the scalar carry trick, then put the canonical NaN in the lanes
    /// that are not equal to themselves.
    /// </summary>
    public readonly struct FromSingleOperator : INarrowingOperator<float, ushort>
    {
        public static ushort Invoke(float value)
        {
            var bits = BitConverter.SingleToUInt32Bits(value);
            if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
                return CanonicalNaN;
            // Adding 0x7FFF (+1 when the kept part is odd) carries into bit 16 exactly when the dropped half is
            // above one half (or equal and the kept part odd); the carry runs into the exponent, up to Inf.
            return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<ushort> Invoke(Vector128<float> lower, Vector128<float> upper) =>
            Vector128.Narrow(Round(lower), Round(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<ushort> Invoke(Vector256<float> lower, Vector256<float> upper) =>
            Vector256.Narrow(Round(lower), Round(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<ushort> Invoke(Vector512<float> lower, Vector512<float> upper) =>
            Vector512.Narrow(Round(lower), Round(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<uint> Round(Vector128<float> value)
        {
            var bits = value.AsUInt32();
            var rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) >> 16;
            var ordered = Vector128.Equals(value, value).AsUInt32();
            return Vector128.ConditionalSelect(ordered, rounded, Vector128.Create((uint)CanonicalNaN));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<uint> Round(Vector256<float> value)
        {
            var bits = value.AsUInt32();
            var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
            var ordered = Vector256.Equals(value, value).AsUInt32();
            return Vector256.ConditionalSelect(ordered, rounded, Vector256.Create((uint)CanonicalNaN));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<uint> Round(Vector512<float> value)
        {
            var bits = value.AsUInt32();
            var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
            var ordered = Vector512.Equals(value, value).AsUInt32();
            return Vector512.ConditionalSelect(ordered, rounded, Vector512.Create((uint)CanonicalNaN));
        }
    }
}
