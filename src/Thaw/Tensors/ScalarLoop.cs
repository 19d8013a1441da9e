using System.Runtime.CompilerServices;

namespace Thaw.Tensors;

/// <summary>The element-by-element loop every span loop falls back to below one vector or at <see cref="SimdWidth.Scalar"/>.</summary>
internal static class ScalarLoop<TOp, TFrom, TTo>
    where TOp : IConversionOperator<TFrom, TTo>
{
    // Every loop (this one and each width's) is a method of its own that is never inlined: compiled alone, its
    // inlining budget always covers its step and the operator. Inlined into a caller, as tiered PGO chooses to do
    // with a span entry point, the loop was seen calling its step once per vector.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(ref TFrom src, ref TTo dst, nuint n)
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref dst, i) = TOp.Invoke(Unsafe.Add(ref src, i));
    }
}
