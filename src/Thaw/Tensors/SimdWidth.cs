using System.Runtime.Intrinsics;

namespace Thaw.Tensors;

/// <summary>
/// The widest vector a kernel may use. The public API always picks <see cref="SimdWidths.Widest"/>; tests and
/// benchmarks pass a narrower one to run (and check) every path on any machine.
/// </summary>
internal enum SimdWidth
{
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}

internal static class SimdWidths
{
    /// <summary>The widest width the hardware accelerates (a JIT-time constant).</summary>
    public static SimdWidth Widest =>
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated ? SimdWidth.Vector256
        : Vector128.IsHardwareAccelerated ? SimdWidth.Vector128
        : SimdWidth.Scalar;
}
