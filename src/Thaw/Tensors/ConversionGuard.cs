using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Thaw.Tensors;

/// <summary>The one entry check of every span converter: equal element counts and no shared memory.</summary>
internal static class ConversionGuard
{
    /// <summary>
    /// Vector kernels finish with an overlapping last vector that re-reads the source, so a destination that
    /// shares memory with the source would corrupt the result; such calls are refused rather than allowed
    /// to work for some lengths only.
    /// </summary>
    public static void Check<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : struct
        where TTo : struct
    {
        if (source.Length != destination.Length)
            ThrowLengthMismatch(source.Length, destination.Length);
        CheckNoOverlap(MemoryMarshal.AsBytes(source), MemoryMarshal.AsBytes((ReadOnlySpan<TTo>)destination));
    }

    public static void CheckNoOverlap(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        if (source.Overlaps(destination))
            ThrowOverlap();
    }

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowLengthMismatch(int sourceLength, int destinationLength) =>
        throw new ArgumentException(
            $"destination holds {destinationLength} elements but source has {sourceLength}; pass spans of equal length",
            "destination");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowOverlap() =>
        throw new ArgumentException("source and destination overlap; convert into a separate buffer", "destination");
}
