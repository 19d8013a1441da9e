using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Thaw.Tensors;

/// <summary>
/// A conversion to an element half as wide (32-bit → 16-bit): two vectors in, the lower and upper halves of one
/// vector of <typeparamref name="TTo"/> out.
/// </summary>
internal interface INarrowingOperator<TFrom, TTo> : IConversionOperator<TFrom, TTo>
{
    static abstract Vector128<TTo> Invoke(Vector128<TFrom> lower, Vector128<TFrom> upper);

    static abstract Vector256<TTo> Invoke(Vector256<TFrom> lower, Vector256<TFrom> upper);

    static abstract Vector512<TTo> Invoke(Vector512<TFrom> lower, Vector512<TFrom> upper);
}

/// <summary>
/// Runs an <see cref="INarrowingOperator{TFrom, TTo}"/> over a span the way <see cref="WideningLoop{TOp, TFrom, TTo}"/>
/// does, one vector of <typeparamref name="TTo"/> (two of <typeparamref name="TFrom"/>) per step.
/// </summary>
internal static class NarrowingLoop<TOp, TFrom, TTo>
    where TOp : INarrowingOperator<TFrom, TTo>
    where TFrom : struct
    where TTo : struct
{
    public static void Run(ReadOnlySpan<TFrom> source, Span<TTo> destination, SimdWidth maxWidth)
    {
        Debug.Assert(Unsafe.SizeOf<TFrom>() == 2 * Unsafe.SizeOf<TTo>());
        ConversionGuard.Check(source, destination);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var n = (nuint)source.Length;

        if (maxWidth >= SimdWidth.Vector512 && n >= (nuint)Vector512<TTo>.Count)
            Loop512(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector256 && n >= (nuint)Vector256<TTo>.Count)
            Loop256(ref src, ref dst, n);
        else if (maxWidth >= SimdWidth.Vector128 && n >= (nuint)Vector128<TTo>.Count)
            Loop128(ref src, ref dst, n);
        else
            ScalarLoop<TOp, TFrom, TTo>.Run(ref src, ref dst, n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop128(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector128<TTo>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step128(ref src, ref dst, i);
        Step128(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step128(ref TFrom src, ref TTo dst, nuint i)
    {
        var lower = Vector128.LoadUnsafe(ref src, i);
        var upper = Vector128.LoadUnsafe(ref src, i + (nuint)Vector128<TFrom>.Count);
        TOp.Invoke(lower, upper).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop256(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector256<TTo>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step256(ref src, ref dst, i);
        Step256(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step256(ref TFrom src, ref TTo dst, nuint i)
    {
        var lower = Vector256.LoadUnsafe(ref src, i);
        var upper = Vector256.LoadUnsafe(ref src, i + (nuint)Vector256<TFrom>.Count);
        TOp.Invoke(lower, upper).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Loop512(ref TFrom src, ref TTo dst, nuint n)
    {
        var step = (nuint)Vector512<TTo>.Count;
        for (nuint i = 0; i < n - step; i += step)
            Step512(ref src, ref dst, i);
        Step512(ref src, ref dst, n - step);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step512(ref TFrom src, ref TTo dst, nuint i)
    {
        var lower = Vector512.LoadUnsafe(ref src, i);
        var upper = Vector512.LoadUnsafe(ref src, i + (nuint)Vector512<TFrom>.Count);
        TOp.Invoke(lower, upper).StoreUnsafe(ref dst, i);
    }
}
