using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Thaw.Tensors;

/// <summary>
/// A conversion to an element twice as wide (16-bit → 32-bit): one vector in, its lower and upper halves out, each
/// converted to a full vector of <typeparamref name="TTo"/>.
/// </summary>
internal interface IWideningOperator<TFrom, TTo> : IConversionOperator<TFrom, TTo>
{
    static abstract (Vector128<TTo> Lower, Vector128<TTo> Upper) Invoke(Vector128<TFrom> value);

    static abstract (Vector256<TTo> Lower, Vector256<TTo> Upper) Invoke(Vector256<TFrom> value);

    static abstract (Vector512<TTo> Lower, Vector512<TTo> Upper) Invoke(Vector512<TFrom> value);
}

/// <summary>
/// Runs an <see cref="IWideningOperator{TFrom, TTo}"/> over a span. Checks the spans once with
/// <see cref="ConversionGuard"/>, takes the widest vector that <see cref="SimdWidth"/> allows and one vector of
/// <typeparamref name="TFrom"/> fits in the span, steps over whole vectors and moves the last step back to end
/// exactly at the span's end: a few elements are converted twice instead of running a scalar tail (which is why
/// source and destination must not overlap). Spans shorter than one 128-bit vector go through
/// <see cref="ScalarLoop{TOp, TFrom, TTo}"/>.
/// </summary>
internal static class WideningLoop<TOp, TFrom, TTo>
    where TOp : IWideningOperator<TFrom, TTo>
    where TFrom : struct
    where TTo : struct
{
    public static void Run(ReadOnlySpan<TFrom> source, Span<TTo> destination, SimdWidth maxWidth)
    {
        Debug.Assert(Unsafe.SizeOf<TTo>() == 2 * Unsafe.SizeOf<TFrom>());
        ConversionGuard.Check(source, destination);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)source.Length;

        if (maxWidth >= SimdWidth.Vector512 && n >= (nuint)Vector512<TFrom>.Count)
            Loop512(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector256 && n >= (nuint)Vector256<TFrom>.Count)
            Loop256(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector128 && n >= (nuint)Vector128<TFrom>.Count)
            Loop128(ref src, ref dst, n);
        else
            ScalarLoop<TOp, TFrom, TTo>.Run(ref src, ref dst, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop128(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector128<TFrom>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step128(ref src, ref dst, i);
        Step128(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step128(ref TFrom src, ref TTo dst, nuint i)
    {
        var (lower, upper) = TOp.Invoke(Vector128.LoadUnsafe(ref src, i));
        lower.StoreUnsafe(ref dst, i);
        upper.StoreUnsafe(ref dst, i + (nuint)Vector128<TTo>.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop256(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector256<TFrom>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step256(ref src, ref dst, i);
        Step256(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step256(ref TFrom src, ref TTo dst, nuint i)
    {
        var (lower, upper) = TOp.Invoke(Vector256.LoadUnsafe(ref src, i));
        lower.StoreUnsafe(ref dst, i);
        upper.StoreUnsafe(ref dst, i + (nuint)Vector256<TTo>.Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop512(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector512<TFrom>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step512(ref src, ref dst, i);
        Step512(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step512(ref TFrom src, ref TTo dst, nuint i)
    {
        var (lower, upper) = TOp.Invoke(Vector512.LoadUnsafe(ref src, i));
        lower.StoreUnsafe(ref dst, i);
        upper.StoreUnsafe(ref dst, i + (nuint)Vector512<TTo>.Count);
    }
}
