using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Q8_0 (<c>quantize_row_q8_0_ref</c>): per 32 elements, d = max|x| / 127 stored as fp16 and
/// q = roundf(x / d) (half away from zero) as int8; the quotient uses the unrounded d. 34 bytes per block.
/// The vector paths give the scalar path's bytes: max and multiply are exact lane by lane, and rounding half away
/// from zero is done on the exact fraction; a block holding a NaN takes the scalar path, whose NaN order matters.
/// </summary>
internal sealed class Q8_0Codec() : GgmlRowCodec(GgmlType.Q8_0)
{
    private const int Block = 32;
    private const int Bytes = 34;

    private protected override void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination) =>
        Quantize(row, destination, SimdWidths.Widest);

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = source.Slice(b * Bytes, Bytes);
            var d = GgmlHalf.Read(x);
            var y = row.Slice(b * Block, Block);
            for (var j = 0; j < Block; j++)
                y[j] = (sbyte)x[2 + j] * d;
        }
    }

    /// <summary>Quantizes whole blocks with <paramref name="maxWidth"/> vectors (tests run every width; an
    /// unaccelerated width runs in software with the same results).</summary>
    internal static void Quantize(ReadOnlySpan<float> row, Span<byte> destination, SimdWidth maxWidth)
    {
        for (int b = 0, blocks = row.Length / Block; b < blocks; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * Bytes, Bytes);
            var done = maxWidth switch
            {
                SimdWidth.Vector512 => Block512(x, y),
                SimdWidth.Vector256 => Block256(x, y),
                SimdWidth.Vector128 => Block128(x, y),
                _ => false,
            };
            if (!done)
                BlockScalar(x, y);
        }
    }

    private static void BlockScalar(ReadOnlySpan<float> x, Span<byte> y)
    {
        var amax = 0f;
        foreach (var v in x)
        {
            var a = MathF.Abs(v);
            amax = amax > a ? amax : a;
        }
        var id = Scale(amax, y);
        for (var j = 0; j < Block; j++)
            y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    /// <summary>Writes d = amax / 127 as fp16 and returns 1/d (0 for an all-zero block).</summary>
    private static float Scale(float amax, Span<byte> y)
    {
        var d = amax / 127f;
        GgmlHalf.Write(y, d);
        return d != 0 ? 1f / d : 0f;
    }

    private static bool Block512(ReadOnlySpan<float> x, Span<byte> y)
    {
        ref var src = ref MemoryMarshal.GetReference(x);
        var v0 = Vector512.LoadUnsafe(ref src);
        var v1 = Vector512.LoadUnsafe(ref src, 16);
        if (!Vector512.EqualsAll(v0, v0) || !Vector512.EqualsAll(v1, v1))
            return false;
        var id = Vector512.Create(Scale(MaxLane(Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1))), y));
        var shorts = Vector512.Narrow(Round(v0 * id), Round(v1 * id));
        Vector512.Narrow(shorts, Vector512<short>.Zero).GetLower().AsByte().StoreUnsafe(ref MemoryMarshal.GetReference(y[2..]));
        return true;
    }

    private static bool Block256(ReadOnlySpan<float> x, Span<byte> y)
    {
        ref var src = ref MemoryMarshal.GetReference(x);
        var v0 = Vector256.LoadUnsafe(ref src);
        var v1 = Vector256.LoadUnsafe(ref src, 8);
        var v2 = Vector256.LoadUnsafe(ref src, 16);
        var v3 = Vector256.LoadUnsafe(ref src, 24);
        if (!Vector256.EqualsAll(v0, v0) || !Vector256.EqualsAll(v1, v1) || !Vector256.EqualsAll(v2, v2) || !Vector256.EqualsAll(v3, v3))
            return false;
        var max = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var id = Vector256.Create(Scale(MaxLane(max), y));
        var low = Vector256.Narrow(Round(v0 * id), Round(v1 * id));
        var high = Vector256.Narrow(Round(v2 * id), Round(v3 * id));
        Vector256.Narrow(low, high).AsByte().StoreUnsafe(ref MemoryMarshal.GetReference(y[2..]));
        return true;
    }

    private static bool Block128(ReadOnlySpan<float> x, Span<byte> y)
    {
        ref var src = ref MemoryMarshal.GetReference(x);
        Span<Vector128<float>> v = stackalloc Vector128<float>[8];
        var max = Vector128<float>.Zero;
        for (var i = 0; i < 8; i++)
        {
            v[i] = Vector128.LoadUnsafe(ref src, (nuint)(4 * i));
            if (!Vector128.EqualsAll(v[i], v[i]))
                return false;
            max = Vector128.Max(max, Vector128.Abs(v[i]));
        }
        var id = Vector128.Create(Scale(MaxLane(max), y));
        ref var dst = ref MemoryMarshal.GetReference(y[2..]);
        for (var half = 0; half < 2; half++)
        {
            var low = Vector128.Narrow(Round(v[4 * half] * id), Round(v[4 * half + 1] * id));
            var high = Vector128.Narrow(Round(v[4 * half + 2] * id), Round(v[4 * half + 3] * id));
            Vector128.Narrow(low, high).AsByte().StoreUnsafe(ref dst, (nuint)(16 * half));
        }
        return true;
    }

    private static float MaxLane(Vector512<float> v) => MaxLane(Vector256.Max(v.GetLower(), v.GetUpper()));

    private static float MaxLane(Vector256<float> v) => MaxLane(Vector128.Max(v.GetLower(), v.GetUpper()));

    private static float MaxLane(Vector128<float> v)
    {
        var m = v[0];
        for (var i = 1; i < 4; i++)
            m = m > v[i] ? m : v[i];
        return m;
    }

    // roundf: the truncation, plus one step away from zero when the (exact) fraction is at least one half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Round(Vector512<float> v)
    {
        var t = Vector512.Truncate(v);
        var away = Vector512.GreaterThanOrEqual(Vector512.Abs(v - t), Vector512.Create(0.5f));
        return Vector512.ConvertToInt32(t + (away & Vector512.CopySign(Vector512<float>.One, v)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Round(Vector256<float> v)
    {
        var t = Vector256.Truncate(v);
        var away = Vector256.GreaterThanOrEqual(Vector256.Abs(v - t), Vector256.Create(0.5f));
        return Vector256.ConvertToInt32(t + (away & Vector256.CopySign(Vector256<float>.One, v)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Round(Vector128<float> v)
    {
        var t = Vector128.Truncate(v);
        var away = Vector128.GreaterThanOrEqual(Vector128.Abs(v - t), Vector128.Create(0.5f));
        return Vector128.ConvertToInt32(t + (away & Vector128.CopySign(Vector128<float>.One, v)));
    }
}
