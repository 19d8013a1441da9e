using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// bitsandbytes 4-bit quantization (<c>quantize_4bit</c>, CUDA <c>kQuantizeBlockwise</c>) of a flattened weight:
/// per block of <c>blocksize</c> consecutive elements, absmax = max |x| (float32), s = x * (1 / absmax) with an IEEE
/// reciprocal (the GPU's fast-math reciprocal differs by at most an ulp, which moves only values that lie within an ulp
/// of a decision threshold), the code chosen by the kernel's strict comparisons, and two codes per byte, the even
/// element in the high nibble. An all-zero block gives s = NaN and code 0, as on the GPU.
/// </summary>
public static class Bnb4BitQuantizer
{
    // dQuantizeNF4: the float32 midpoints of adjacent NF4 values (f32(v[i] + v[i+1]) / 2); code = number of thresholds
    // s is strictly above. Given as bit patterns: kernels.cu writes them as decimals of the double midpoints, four of
    // which lie exactly on a float32 tie, so rounding the decimal text directly would pick the neighbouring float.
    private static readonly float[] Nf4Thresholds = FromBits(
        0xbf591cd8, 0xbf1c5270, 0xbeeb8480, 0xbeadea76, 0xbe703cec, 0xbe0d38bc, 0xbd3a7871, 0x3d22faff,
        0x3df64862, 0x3e5067e0, 0x3e9582d4, 0x3ec753f9, 0x3f006d04, 0x3f248daf, 0x3f5c89da);

    // dQuantizeFP4: the kernel's literals on |s| (several are not the exact midpoints; these are what it compares).
    // The number of literals |s| is strictly above ranks the magnitudes 0, 1/192, 1/6, 1/4, 1/3, 1/2, 2/3, 1, whose
    // codes are 0, 1, 6, 7, 4, 5, 2, 3: rank ^ ((rank & 2) << 1).
    private static ReadOnlySpan<float> Fp4Thresholds =>
        [0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f];

    private const int Fp4SignBit = 8;

    private static float[] FromBits(params ReadOnlySpan<uint> bits)
    {
        var values = new float[bits.Length];
        for (var i = 0; i < bits.Length; i++)
            values[i] = BitConverter.UInt32BitsToSingle(bits[i]);
        return values;
    }

    /// <summary>Number of absmax blocks of a weight of <paramref name="elementCount"/> elements.</summary>
    public static long BlockCount(long elementCount, int blocksize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksize);
        return elementCount / blocksize + (elementCount % blocksize == 0 ? 0 : 1);
    }

    /// <summary>Bytes of packed codes of a weight of <paramref name="elementCount"/> elements (two per byte).</summary>
    public static long PackedLength(long elementCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementCount);
        return elementCount / 2 + elementCount % 2;
    }

    /// <summary>
    /// Quantizes <paramref name="values"/>, a run of whole blocks of a flattened weight (only the weight's last block
    /// may be shorter, so a run that ends early must end on a block boundary), into <paramref name="packed"/>
    /// (ceil(n/2) bytes) and <paramref name="absmax"/> (one float32 per block). <paramref name="tensorName"/> names the
    /// weight in errors.
    /// </summary>
    /// <exception cref="BnbQuantizeException">A value is NaN or infinite, or the blocksize is not one bitsandbytes supports.</exception>
    public static void Quantize(
        ReadOnlySpan<float> values, BnbQuantType type, int blocksize, Span<byte> packed, Span<float> absmax, string? tensorName = null) =>
        Quantize(values, type, blocksize, packed, absmax, tensorName, SimdWidths.Widest);

    internal static void Quantize(
        ReadOnlySpan<float> values, BnbQuantType type, int blocksize, Span<byte> packed, Span<float> absmax, string? tensorName,
        SimdWidth maxWidth)
    {
        BnbQuantizationSettings.CheckBlocksize(blocksize);
        if (type is not (BnbQuantType.Nf4 or BnbQuantType.Fp4))
            throw new ArgumentOutOfRangeException(nameof(type), type, "not a 4-bit quant type");
        if (packed.Length != PackedLength(values.Length))
            throw new ArgumentException($"packed holds {packed.Length} bytes; {values.Length} codes need {PackedLength(values.Length)}", nameof(packed));
        if (absmax.Length != BlockCount(values.Length, blocksize))
            throw new ArgumentException($"absmax holds {absmax.Length} values; {values.Length} elements in blocks of {blocksize} need {BlockCount(values.Length, blocksize)}", nameof(absmax));

        Span<int> codes = stackalloc int[blocksize];
        for (var block = 0; block < absmax.Length; block++)
        {
            var start = block * blocksize;
            var chunk = values.Slice(start, Math.Min(blocksize, values.Length - start));
            var max = MaxAbs(chunk, maxWidth, out var finite);
            if (!finite)
                ThrowNonFinite(chunk, start, tensorName);
            absmax[block] = max;
            var reciprocal = 1f / max;
            var blockCodes = codes[..chunk.Length];
            if (type == BnbQuantType.Nf4)
                Codes<Nf4Decision>(chunk, reciprocal, blockCodes, maxWidth);
            else
                Codes<Fp4Decision>(chunk, reciprocal, blockCodes, maxWidth);
            // An odd weight ends with half a byte: the kernel pads with a 0.0 element, quantized with the same scale.
            var padCode = Code(0f * reciprocal, type);
            Pack(blockCodes, padCode, packed.Slice(start / 2, (chunk.Length + 1) / 2));
        }
    }

    /// <summary>The NF4 code of a scaled value (the scalar reference of the vector paths).</summary>
    internal static int Nf4Code(float scaled)
    {
        var code = 0;
        foreach (var threshold in Nf4Thresholds)
            code += scaled > threshold ? 1 : 0;
        return code;
    }

    /// <summary>The FP4 code of a scaled value (the scalar reference of the vector paths).</summary>
    internal static int Fp4Code(float scaled)
    {
        var magnitude = MathF.Abs(scaled);
        var rank = 0;
        foreach (var threshold in Fp4Thresholds)
            rank += magnitude > threshold ? 1 : 0;
        return (rank ^ ((rank & 2) << 1)) | (scaled < 0 ? Fp4SignBit : 0);
    }

    private static int Code(float scaled, BnbQuantType type) => type == BnbQuantType.Nf4 ? Nf4Code(scaled) : Fp4Code(scaled);

    private static void Pack(ReadOnlySpan<int> codes, int padCode, Span<byte> packed)
    {
        var pairs = codes.Length / 2;
        for (var j = 0; j < pairs; j++)
            packed[j] = (byte)((codes[2 * j] << 4) | codes[(2 * j) + 1]);
        if (codes.Length % 2 != 0)
            packed[pairs] = (byte)((codes[^1] << 4) | padCode);
    }

    private static void ThrowNonFinite(ReadOnlySpan<float> block, int blockStart, string? tensorName)
    {
        var index = 0;
        while (float.IsFinite(block[index]))
            index++;
        BnbQuantizeException.Throw(BnbQuantizeError.NonFiniteValue, null, tensorName,
            $"element {blockStart + index} of the quantized run is {block[index]}; NaN and infinity have no 4-bit code, so fix the weights before quantizing");
    }

    // max |x| over a block, and whether every value is finite (x * 0 is 0 exactly when x is finite). The last vector
    // overlaps the previous one: taking a maximum twice changes nothing.
    internal static float MaxAbs(ReadOnlySpan<float> block, SimdWidth maxWidth, out bool finite)
    {
        ref var x = ref MemoryMarshal.GetReference(block);
        var n = block.Length;
        if (maxWidth >= SimdWidth.Vector512 && n >= Vector512<float>.Count)
            return MaxAbs512(ref x, n, out finite);
        if (maxWidth >= SimdWidth.Vector256 && n >= Vector256<float>.Count)
            return MaxAbs256(ref x, n, out finite);
        if (maxWidth >= SimdWidth.Vector128 && n >= Vector128<float>.Count)
            return MaxAbs128(ref x, n, out finite);

        var max = 0f;
        finite = true;
        foreach (var value in block)
        {
            finite &= float.IsFinite(value);
            max = MathF.Max(max, MathF.Abs(value));
        }
        return max;
    }

    private static float MaxAbs128(ref float x, int n, out bool finite)
    {
        var max = Vector128<float>.Zero;
        var bad = Vector128<float>.Zero;
        for (var i = 0; ; i += Vector128<float>.Count)
        {
            var at = Math.Min(i, n - Vector128<float>.Count);
            var v = Vector128.LoadUnsafe(ref x, (nuint)at);
            bad |= ~Vector128.Equals(v * Vector128<float>.Zero, Vector128<float>.Zero);
            max = Vector128.Max(max, Vector128.Abs(v));
            if (at == n - Vector128<float>.Count)
                break;
        }
        finite = bad == Vector128<float>.Zero;
        return HorizontalMax(max);
    }

    private static float MaxAbs256(ref float x, int n, out bool finite)
    {
        var max = Vector256<float>.Zero;
        var bad = Vector256<float>.Zero;
        for (var i = 0; ; i += Vector256<float>.Count)
        {
            var at = Math.Min(i, n - Vector256<float>.Count);
            var v = Vector256.LoadUnsafe(ref x, (nuint)at);
            bad |= ~Vector256.Equals(v * Vector256<float>.Zero, Vector256<float>.Zero);
            max = Vector256.Max(max, Vector256.Abs(v));
            if (at == n - Vector256<float>.Count)
                break;
        }
        finite = bad == Vector256<float>.Zero;
        return MathF.Max(HorizontalMax(max.GetLower()), HorizontalMax(max.GetUpper()));
    }

    private static float MaxAbs512(ref float x, int n, out bool finite)
    {
        var max = Vector512<float>.Zero;
        var bad = Vector512<float>.Zero;
        for (var i = 0; ; i += Vector512<float>.Count)
        {
            var at = Math.Min(i, n - Vector512<float>.Count);
            var v = Vector512.LoadUnsafe(ref x, (nuint)at);
            bad |= ~Vector512.Equals(v * Vector512<float>.Zero, Vector512<float>.Zero);
            max = Vector512.Max(max, Vector512.Abs(v));
            if (at == n - Vector512<float>.Count)
                break;
        }
        finite = bad == Vector512<float>.Zero;
        var half = Vector256.Max(max.GetLower(), max.GetUpper());
        return MathF.Max(HorizontalMax(half.GetLower()), HorizontalMax(half.GetUpper()));
    }

    private static float HorizontalMax(Vector128<float> v) =>
        MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));

    // Codes of one block; the last vector overlaps the previous one (codes are recomputed identically). A block
    // shorter than a vector (only a weight's last block can be) takes the scalar path.
    private static void Codes<TDecision>(ReadOnlySpan<float> block, float reciprocal, Span<int> codes, SimdWidth maxWidth)
        where TDecision : struct, ICodeDecision
    {
        ref var x = ref MemoryMarshal.GetReference(block);
        ref var c = ref MemoryMarshal.GetReference(codes);
        var n = block.Length;
        if (maxWidth >= SimdWidth.Vector512 && n >= Vector512<float>.Count)
        {
            var r = Vector512.Create(reciprocal);
            for (var i = 0; ; i += Vector512<float>.Count)
            {
                var at = (nuint)Math.Min(i, n - Vector512<float>.Count);
                TDecision.Codes(Vector512.LoadUnsafe(ref x, at) * r).StoreUnsafe(ref c, at);
                if (at == (nuint)(n - Vector512<float>.Count))
                    return;
            }
        }
        if (maxWidth >= SimdWidth.Vector256 && n >= Vector256<float>.Count)
        {
            var r = Vector256.Create(reciprocal);
            for (var i = 0; ; i += Vector256<float>.Count)
            {
                var at = (nuint)Math.Min(i, n - Vector256<float>.Count);
                TDecision.Codes(Vector256.LoadUnsafe(ref x, at) * r).StoreUnsafe(ref c, at);
                if (at == (nuint)(n - Vector256<float>.Count))
                    return;
            }
        }
        if (maxWidth >= SimdWidth.Vector128 && n >= Vector128<float>.Count)
        {
            var r = Vector128.Create(reciprocal);
            for (var i = 0; ; i += Vector128<float>.Count)
            {
                var at = (nuint)Math.Min(i, n - Vector128<float>.Count);
                TDecision.Codes(Vector128.LoadUnsafe(ref x, at) * r).StoreUnsafe(ref c, at);
                if (at == (nuint)(n - Vector128<float>.Count))
                    return;
            }
        }
        for (var i = 0; i < n; i++)
            codes[i] = TDecision.Code(block[i] * reciprocal);
    }


    // The NF4 and FP4 decisions as operators, so one generic loop serves both (the JIT specializes it per struct).
    private interface ICodeDecision
    {
        static abstract int Code(float scaled);

        static abstract Vector128<int> Codes(Vector128<float> scaled);

        static abstract Vector256<int> Codes(Vector256<float> scaled);

        static abstract Vector512<int> Codes(Vector512<float> scaled);
    }

    private readonly struct Nf4Decision : ICodeDecision
    {
        public static int Code(float scaled) => Nf4Code(scaled);

        public static Vector128<int> Codes(Vector128<float> scaled) => Nf4(scaled);

        public static Vector256<int> Codes(Vector256<float> scaled) => Nf4(scaled);

        public static Vector512<int> Codes(Vector512<float> scaled) => Nf4(scaled);
    }

    private readonly struct Fp4Decision : ICodeDecision
    {
        public static int Code(float scaled) => Fp4Code(scaled);

        public static Vector128<int> Codes(Vector128<float> scaled) => Fp4(scaled);

        public static Vector256<int> Codes(Vector256<float> scaled) => Fp4(scaled);

        public static Vector512<int> Codes(Vector512<float> scaled) => Fp4(scaled);
    }

    private static Vector128<int> Nf4(Vector128<float> s)
    {
        var code = Vector128<int>.Zero;
        foreach (var threshold in Nf4Thresholds)
            code -= Vector128.GreaterThan(s, Vector128.Create(threshold)).AsInt32();
        return code;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Nf4(Vector256<float> s)
    {
        var code = Vector256<int>.Zero;
        foreach (var threshold in Nf4Thresholds)
            code -= Vector256.GreaterThan(s, Vector256.Create(threshold)).AsInt32();
        return code;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Nf4(Vector512<float> s)
    {
        var code = Vector512<int>.Zero;
        foreach (var threshold in Nf4Thresholds)
            code -= Vector512.GreaterThan(s, Vector512.Create(threshold)).AsInt32();
        return code;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Fp4(Vector128<float> s)
    {
        var magnitude = Vector128.Abs(s);
        var rank = Vector128<int>.Zero;
        foreach (var threshold in Fp4Thresholds)
            rank -= Vector128.GreaterThan(magnitude, Vector128.Create(threshold)).AsInt32();
        var sign = Vector128.LessThan(s, Vector128<float>.Zero).AsInt32() & Vector128.Create(Fp4SignBit);
        return (rank ^ ((rank & Vector128.Create(2)) << 1)) | sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fp4(Vector256<float> s)
    {
        var magnitude = Vector256.Abs(s);
        var rank = Vector256<int>.Zero;
        foreach (var threshold in Fp4Thresholds)
            rank -= Vector256.GreaterThan(magnitude, Vector256.Create(threshold)).AsInt32();
        var sign = Vector256.LessThan(s, Vector256<float>.Zero).AsInt32() & Vector256.Create(Fp4SignBit);
        return (rank ^ ((rank & Vector256.Create(2)) << 1)) | sign;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Fp4(Vector512<float> s)
    {
        var magnitude = Vector512.Abs(s);
        var rank = Vector512<int>.Zero;
        foreach (var threshold in Fp4Thresholds)
            rank -= Vector512.GreaterThan(magnitude, Vector512.Create(threshold)).AsInt32();
        var sign = Vector512.LessThan(s, Vector512<float>.Zero).AsInt32() & Vector512.Create(Fp4SignBit);
        return (rank ^ ((rank & Vector512.Create(2)) << 1)) | sign;
    }
}
