using System.Numerics;
using System.Runtime.InteropServices;

namespace Thaw.Tensors;

/// <summary>Finds NaN and ±Inf in encoded float32/float16/bfloat16 data (all exponent bits set).</summary>
internal static class NonFiniteValues
{
    /// <summary>The index of the first non-finite element of <paramref name="data"/>, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<byte> data, DType dtype) => dtype switch
    {
        DType.F32 => IndexOfAllSet(MemoryMarshal.Cast<byte, uint>(data), 0x7F80_0000u),
        DType.F16 => IndexOfAllSet(MemoryMarshal.Cast<byte, ushort>(data), (ushort)0x7C00),
        DType.BF16 => IndexOfAllSet(MemoryMarshal.Cast<byte, ushort>(data), (ushort)0x7F80),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only F32, F16 and BF16 are checked"),
    };

    public static bool AllFinite(ReadOnlySpan<float> values) => IndexOf(MemoryMarshal.AsBytes(values), DType.F32) < 0;

    private static int IndexOfAllSet<T>(ReadOnlySpan<T> bits, T mask)
        where T : unmanaged, IBinaryInteger<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var maskVector = new Vector<T>(mask);
            for (; i <= bits.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                if (Vector.EqualsAny(new Vector<T>(bits[i..]) & maskVector, maskVector))
                    break;
            }
        }
        for (; i < bits.Length; i++)
        {
            if ((bits[i] & mask) == mask)
                return i;
        }
        return -1;
    }
}
