using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// LLM.int8 (Linear8bitLt) dequantization as bitsandbytes' <c>int8_vectorwise_dequant</c> does it on every device
/// (spec §6): <c>W[r, c] = f32(f32(q[r, c] * SCB[r]) * 0.007874015718698502f)</c>, two float32 multiplies in that order.
/// </summary>
public static class BnbInt8Dequantizer
{
    /// <summary>bitsandbytes' float32 constant for 1/127 (0x3C010204); it is not the exact quotient 1/127.</summary>
    public const float InverseOf127 = 0.007874015718698502f;

    /// <summary>
    /// Decodes rows of an int8 weight: <paramref name="codes"/> holds rowScales.Length rows of equal length,
    /// <paramref name="rowScales"/> their SCB values.
    /// </summary>
    public static void Dequantize(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> rowScales, Span<float> destination) =>
        Dequantize(codes, rowScales, destination, SimdWidths.Widest);

    internal static void Dequantize(ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> rowScales, Span<float> destination, SimdWidth width)
    {
        ConversionGuard.Check(codes, destination);
        var rows = rowScales.Length;
        if (rows == 0 ? !codes.IsEmpty : codes.Length % rows != 0)
            throw new ArgumentException($"{codes.Length} codes are not {rows} rows of equal length", nameof(rowScales));
        if (rows == 0)
            return;
        var rowLength = codes.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            var offset = r * rowLength;
            DequantizeRow(ref MemoryMarshal.GetReference(codes[offset..]), ref MemoryMarshal.GetReference(destination[offset..]), (nuint)rowLength, rowScales[r], width);
        }
    }

    private const nuint Step128 = 4;
    private const nuint Step256 = 8;
    private const nuint Step512 = 16;

    private static void DequantizeRow(ref sbyte src, ref float dst, nuint n, float scale, SimdWidth width)
    {
        if (width >= SimdWidth.Vector512 && n >= Step512)
        {
            var s = Vector512.Create(scale);
            for (nuint i = 0; i < n - Step512; i += Step512)
                Step(ref src, ref dst, i, s);
            Step(ref src, ref dst, n - Step512, s);
        }
        else if (width >= SimdWidth.Vector256 && n >= Step256)
        {
            var s = Vector256.Create(scale);
            for (nuint i = 0; i < n - Step256; i += Step256)
                Step(ref src, ref dst, i, s);
            Step(ref src, ref dst, n - Step256, s);
        }
        else if (width >= SimdWidth.Vector128 && n >= Step128)
        {
            var s = Vector128.Create(scale);
            for (nuint i = 0; i < n - Step128; i += Step128)
                Step(ref src, ref dst, i, s);
            Step(ref src, ref dst, n - Step128, s);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
                Unsafe.Add(ref dst, i) = (float)(Unsafe.Add(ref src, i) * scale) * InverseOf127;
        }
    }

    // Each step converts one vector of codes (sign-extended to int32, exactly representable as float32); the last
    // step is moved back to end exactly at the row's end instead of running a scalar tail.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref sbyte src, ref float dst, nuint i, Vector128<float> scale)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref src, i)))).AsSByte();
        var codes = Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)));
        (codes * scale * Vector128.Create(InverseOf127)).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref sbyte src, ref float dst, nuint i, Vector256<float> scale)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref src, i)))).AsSByte();
        var codes = Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.WidenLower(bytes).ToVector256Unsafe()));
        (codes * scale * Vector256.Create(InverseOf127)).StoreUnsafe(ref dst, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref sbyte src, ref float dst, nuint i, Vector512<float> scale)
    {
        var bytes = Vector128.LoadUnsafe(ref src, i);
        var codes = Vector512.ConvertToSingle(Vector512.WidenLower(Vector256.WidenLower(bytes.ToVector256Unsafe()).ToVector512Unsafe()));
        (codes * scale * Vector512.Create(InverseOf127)).StoreUnsafe(ref dst, i);
    }
}
