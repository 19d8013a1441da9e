using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Thaw.Tensors;

/// <summary>
/// IEEE float16 ⇄ float32 without F16C (bit manipulation plus exact float scaling), bit-exact with PyTorch's
/// portable c10 conversions (fp16_ieee_to/from_fp32_value) on x86: widening is exact (subnormals included) and
/// quiets a signalling NaN, keeping its payload; narrowing rounds to nearest even, overflows to ±Inf and turns
/// every NaN into ±0x7E00. (torch's F16C kernels keep the top NaN payload bits instead; only NaN bits differ.)
/// </summary>
internal static class HalfKernels
{
    private const uint MagnitudeMask = 0x7FFF_FFFF;
    private const uint SingleInfinity = 0x7F80_0000;
    private const uint SmallestNormalHalfAsSingle = 0x3880_0000; // 2^-14
    private const uint ExponentRebias = (127 - 15) << 23;
    private const uint RebiasAndRound = unchecked(0x0FFF - ExponentRebias); // subtracts the rebias, adds the half-ulp less one
    private const uint HalfInfinity = 0x7C00;
    private const uint HalfNaN = 0x7E00;
    private const uint SingleQuietBit = 0x0040_0000;
    private const float HalfSubnormalStep = 1.0f / (1 << 24);
    private const uint DoubleRebias = 2 * ExponentRebias;
    private static readonly float UndoExtraRebias = MathF.ScaleB(1, -(127 - 15));

    public static float ToSingle(ushort bits) => ToSingleOperator.Invoke(bits);

    public static ushort FromSingle(float value) => FromSingleOperator.Invoke(value);

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination, SimdWidth maxWidth) =>
        WideningLoop<ToSingleOperator, ushort, float>.Run(source, destination, maxWidth);

    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination, SimdWidth maxWidth) =>
        NarrowingLoop<FromSingleOperator, float, ushort>.Run(source, destination, maxWidth);

    /// <summary>
    /// float16 bits → float32. Vector lanes compute every case and select, so there are no branches. They rebias
    /// the exponent twice over, which puts half exponent 31 at 255 (Inf/NaN); one multiply then takes normals back
    /// to their binade exactly and leaves Inf as Inf and NaN as NaN, quieted with its payload kept: the hardware
    /// does what the scalar path spells out.
    /// </summary>
    public readonly struct ToSingleOperator : IWideningOperator<ushort, float>
    {
        public static float Invoke(ushort value)
        {
            var sign = (uint)(value & 0x8000) << 16;
            var magnitude = value & 0x7FFFu;
            uint result;
            if (magnitude >= HalfInfinity)
                result = (magnitude << 13) | SingleInfinity | (magnitude > HalfInfinity ? SingleQuietBit : 0);
            else if (magnitude >= 0x0400)
                result = (magnitude << 13) + ExponentRebias;
            else
                result = BitConverter.SingleToUInt32Bits(magnitude * HalfSubnormalStep);
            return BitConverter.UInt32BitsToSingle(sign | result);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector128<float> Lower, Vector128<float> Upper) Invoke(Vector128<ushort> value)
        {
            var (lower, upper) = Vector128.Widen(value);
            return (Widen(lower), Widen(upper));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector256<float> Lower, Vector256<float> Upper) Invoke(Vector256<ushort> value)
        {
            var (lower, upper) = Vector256.Widen(value);
            return (Widen(lower), Widen(upper));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static (Vector512<float> Lower, Vector512<float> Upper) Invoke(Vector512<ushort> value)
        {
            var (lower, upper) = Vector512.Widen(value);
            return (Widen(lower), Widen(upper));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Widen(Vector128<uint> half)
        {
            var magnitude = (half & Vector128.Create(0x7FFFu)).AsInt32();
            var normal = ((magnitude << 13) + Vector128.Create((int)DoubleRebias)).AsSingle() * Vector128.Create(UndoExtraRebias);
            var subnormal = Vector128.ConvertToSingle(magnitude) * Vector128.Create(HalfSubnormalStep);
            var isSubnormal = Vector128.LessThan(magnitude, Vector128.Create(0x0400)).AsSingle();
            var result = Vector128.ConditionalSelect(isSubnormal, subnormal, normal).AsUInt32();
            return (result | ((half & Vector128.Create(0x8000u)) << 16)).AsSingle();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Widen(Vector256<uint> half)
        {
            var magnitude = (half & Vector256.Create(0x7FFFu)).AsInt32();
            var normal = ((magnitude << 13) + Vector256.Create((int)DoubleRebias)).AsSingle() * Vector256.Create(UndoExtraRebias);
            var subnormal = Vector256.ConvertToSingle(magnitude) * Vector256.Create(HalfSubnormalStep);
            var isSubnormal = Vector256.LessThan(magnitude, Vector256.Create(0x0400)).AsSingle();
            var result = Vector256.ConditionalSelect(isSubnormal, subnormal, normal).AsUInt32();
            return (result | ((half & Vector256.Create(0x8000u)) << 16)).AsSingle();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Widen(Vector512<uint> half)
        {
            var magnitude = (half & Vector512.Create(0x7FFFu)).AsInt32();
            var normal = ((magnitude << 13) + Vector512.Create((int)DoubleRebias)).AsSingle() * Vector512.Create(UndoExtraRebias);
            var subnormal = Vector512.ConvertToSingle(magnitude) * Vector512.Create(HalfSubnormalStep);
            var isSubnormal = Vector512.LessThan(magnitude, Vector512.Create(0x0400)).AsSingle();
            var result = Vector512.ConditionalSelect(isSubnormal, subnormal, normal).AsUInt32();
            return (result | ((half & Vector512.Create(0x8000u)) << 16)).AsSingle();
        }
    }

    /// <summary>float32 → float16 bits. Vector lanes compute the normal, subnormal and NaN results and select.</summary>
    public readonly struct FromSingleOperator : INarrowingOperator<float, ushort>
    {
        public static ushort Invoke(float value)
        {
            var bits = BitConverter.SingleToUInt32Bits(value);
            var sign = (bits >> 16) & 0x8000;
            var magnitude = bits & MagnitudeMask;
            if (magnitude > SingleInfinity)
                return (ushort)(sign | HalfNaN);
            if (magnitude >= SmallestNormalHalfAsSingle)
            {
                // Same carry trick as bfloat16, 13 bits dropped; a carry past 0x7BFF (or any larger input) is Inf.
                var rounded = (magnitude + RebiasAndRound + ((magnitude >> 13) & 1)) >> 13;
                return (ushort)(sign | Math.Min(rounded, HalfInfinity));
            }
            // Below 2^-14 the half spacing is 2^-24, the float spacing at 0.5: the float addition rounds to it.
            return (ushort)(sign | (BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(magnitude) + 0.5f) - 0x3F00_0000));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<ushort> Invoke(Vector128<float> lower, Vector128<float> upper) =>
            Vector128.Narrow(Narrow(lower), Narrow(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<ushort> Invoke(Vector256<float> lower, Vector256<float> upper) =>
            Vector256.Narrow(Narrow(lower), Narrow(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<ushort> Invoke(Vector512<float> lower, Vector512<float> upper) =>
            Vector512.Narrow(Narrow(lower), Narrow(upper));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<uint> Narrow(Vector128<float> value)
        {
            var bits = value.AsUInt32();
            var magnitude = bits & Vector128.Create(MagnitudeMask);
            var normal = (magnitude + Vector128.Create(RebiasAndRound) + ((magnitude >> 13) & Vector128<uint>.One)) >> 13;
            normal = Vector128.Min(normal.AsInt32(), Vector128.Create((int)HalfInfinity)).AsUInt32();
            var subnormal = (magnitude.AsSingle() + Vector128.Create(0.5f)).AsUInt32() - Vector128.Create(0x3F00_0000u);
            var isSubnormal = Vector128.LessThan(magnitude.AsInt32(), Vector128.Create((int)SmallestNormalHalfAsSingle)).AsUInt32();
            var isNaN = Vector128.GreaterThan(magnitude.AsInt32(), Vector128.Create((int)SingleInfinity)).AsUInt32();
            var result = Vector128.ConditionalSelect(isSubnormal, subnormal, normal);
            result = Vector128.ConditionalSelect(isNaN, Vector128.Create(HalfNaN), result);
            return result | ((bits >> 16) & Vector128.Create(0x8000u));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<uint> Narrow(Vector256<float> value)
        {
            var bits = value.AsUInt32();
            var magnitude = bits & Vector256.Create(MagnitudeMask);
            var normal = (magnitude + Vector256.Create(RebiasAndRound) + ((magnitude >> 13) & Vector256<uint>.One)) >> 13;
            normal = Vector256.Min(normal.AsInt32(), Vector256.Create((int)HalfInfinity)).AsUInt32();
            var subnormal = (magnitude.AsSingle() + Vector256.Create(0.5f)).AsUInt32() - Vector256.Create(0x3F00_0000u);
            var isSubnormal = Vector256.LessThan(magnitude.AsInt32(), Vector256.Create((int)SmallestNormalHalfAsSingle)).AsUInt32();
            var isNaN = Vector256.GreaterThan(magnitude.AsInt32(), Vector256.Create((int)SingleInfinity)).AsUInt32();
            var result = Vector256.ConditionalSelect(isSubnormal, subnormal, normal);
            result = Vector256.ConditionalSelect(isNaN, Vector256.Create(HalfNaN), result);
            return result | ((bits >> 16) & Vector256.Create(0x8000u));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<uint> Narrow(Vector512<float> value)
        {
            var bits = value.AsUInt32();
            var magnitude = bits & Vector512.Create(MagnitudeMask);
            var normal = (magnitude + Vector512.Create(RebiasAndRound) + ((magnitude >> 13) & Vector512<uint>.One)) >> 13;
            normal = Vector512.Min(normal.AsInt32(), Vector512.Create((int)HalfInfinity)).AsUInt32();
            var subnormal = (magnitude.AsSingle() + Vector512.Create(0.5f)).AsUInt32() - Vector512.Create(0x3F00_0000u);
            var isSubnormal = Vector512.LessThan(magnitude.AsInt32(), Vector512.Create((int)SmallestNormalHalfAsSingle)).AsUInt32();
            var isNaN = Vector512.GreaterThan(magnitude.AsInt32(), Vector512.Create((int)SingleInfinity)).AsUInt32();
            var result = Vector512.ConditionalSelect(isSubnormal, subnormal, normal);
            result = Vector512.ConditionalSelect(isNaN, Vector512.Create(HalfNaN), result);
            return result | ((bits >> 16) & Vector512.Create(0x8000u));
        }
    }
}
