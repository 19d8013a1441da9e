using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
            return CanonicalNaN;
        // Adding 0x7FFF (+1 when the kept part is odd) carries into bit 16 exactly when the dropped half is
        // above one half (or equal and the kept part odd); the carry runs into the exponent, up to Inf.
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination, SimdWidth maxWidth)
    {
        ConversionGuard.Check(source, destination);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)source.Length;

        if (maxWidth >= SimdWidth.Vector512 && n >= (nuint)Vector512<ushort>.Count)
            ToSingle512(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector256 && n >= (nuint)Vector256<ushort>.Count)
            ToSingle256(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector128 && n >= (nuint)Vector128<ushort>.Count)
            ToSingle128(ref src, ref dst, n);
        else
            for (nuint i = 0; i < n; i++)
                Unsafe.Add(ref dst, i) = ToSingle(Unsafe.Add(ref src, i));
    }

    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination, SimdWidth maxWidth)
    {
        ConversionGuard.Check(source, destination);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)source.Length;

        if (maxWidth >= SimdWidth.Vector512 && n >= (nuint)Vector512<ushort>.Count)
            FromSingle512(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector256 && n >= (nuint)Vector256<ushort>.Count)
            FromSingle256(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector128 && n >= (nuint)Vector128<ushort>.Count)
            FromSingle128(ref src, ref dst, n);
        else
            for (nuint i = 0; i < n; i++)
                Unsafe.Add(ref dst, i) = FromSingle(Unsafe.Add(ref src, i));
    }

    // Each width converts one vector of 16-bit values per step; the last step is moved back to end exactly at
    // n (n >= one vector), recomputing a few elements instead of running a scalar tail.

    private static void ToSingle128(ref ushort src, ref float dst, nuint n)
    {
        var step = (nuint)Vector128<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            ToSingleBlock128(ref src, ref dst, i);
        ToSingleBlock128(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToSingleBlock128(ref ushort src, ref float dst, nuint i)
    {
        var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref src, i));
        (lower << 16).AsSingle().StoreUnsafe(ref dst, i);
        (upper << 16).AsSingle().StoreUnsafe(ref dst, i + (nuint)Vector128<uint>.Count);
    }

    private static void ToSingle256(ref ushort src, ref float dst, nuint n)
    {
        var step = (nuint)Vector256<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            ToSingleBlock256(ref src, ref dst, i);
        ToSingleBlock256(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToSingleBlock256(ref ushort src, ref float dst, nuint i)
    {
        var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref src, i));
        (lower << 16).AsSingle().StoreUnsafe(ref dst, i);
        (upper << 16).AsSingle().StoreUnsafe(ref dst, i + (nuint)Vector256<uint>.Count);
    }

    private static void ToSingle512(ref ushort src, ref float dst, nuint n)
    {
        var step = (nuint)Vector512<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            ToSingleBlock512(ref src, ref dst, i);
        ToSingleBlock512(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToSingleBlock512(ref ushort src, ref float dst, nuint i)
    {
        var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref src, i));
        (lower << 16).AsSingle().StoreUnsafe(ref dst, i);
        (upper << 16).AsSingle().StoreUnsafe(ref dst, i + (nuint)Vector512<uint>.Count);
    }

    private static void FromSingle128(ref float src, ref ushort dst, nuint n)
    {
        var step = (nuint)Vector128<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            FromSingleBlock128(ref src, ref dst, i);
        FromSingleBlock128(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FromSingleBlock128(ref float src, ref ushort dst, nuint i)
    {
        var lower = Round(Vector128.LoadUnsafe(ref src, i));
        var upper = Round(Vector128.LoadUnsafe(ref src, i + (nuint)Vector128<float>.Count));
        Vector128.Narrow(lower, upper).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Round(Vector128<float> value)
    {
        var bits = value.AsUInt32();
        var rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) >> 16;
        var ordered = Vector128.Equals(value, value).AsUInt32();
        return Vector128.ConditionalSelect(ordered, rounded, Vector128.Create((uint)CanonicalNaN));
    }

    private static void FromSingle256(ref float src, ref ushort dst, nuint n)
    {
        var step = (nuint)Vector256<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            FromSingleBlock256(ref src, ref dst, i);
        FromSingleBlock256(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FromSingleBlock256(ref float src, ref ushort dst, nuint i)
    {
        var lower = Round(Vector256.LoadUnsafe(ref src, i));
        var upper = Round(Vector256.LoadUnsafe(ref src, i + (nuint)Vector256<float>.Count));
        Vector256.Narrow(lower, upper).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Round(Vector256<float> value)
    {
        var bits = value.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var ordered = Vector256.Equals(value, value).AsUInt32();
        return Vector256.ConditionalSelect(ordered, rounded, Vector256.Create((uint)CanonicalNaN));
    }

    private static void FromSingle512(ref float src, ref ushort dst, nuint n)
    {
        var step = (nuint)Vector512<ushort>.Count;
        for (nuint i = 0; i < n - step; i += step)
            FromSingleBlock512(ref src, ref dst, i);
        FromSingleBlock512(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FromSingleBlock512(ref float src, ref ushort dst, nuint i)
    {
        var lower = Round(Vector512.LoadUnsafe(ref src, i));
        var upper = Round(Vector512.LoadUnsafe(ref src, i + (nuint)Vector512<float>.Count));
        Vector512.Narrow(lower, upper).StoreUnsafe(ref dst, i);
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
