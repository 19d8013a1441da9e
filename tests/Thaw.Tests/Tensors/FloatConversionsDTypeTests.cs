using System.Runtime.InteropServices;
using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

public class FloatConversionsDTypeTests
{
    // 1, -2, 0.5, -0 and 448 (exact in every format) written by hand in each dtype's little-endian bytes.
    private static readonly Dictionary<DType, byte[]> Encoded = new()
    {
        [DType.F32] = Bytes<uint>(0x3F80_0000, 0xC000_0000, 0x3F00_0000, 0x8000_0000, 0x43E0_0000),
        [DType.F64] = Bytes<ulong>(0x3FF0_0000_0000_0000, 0xC000_0000_0000_0000, 0x3FE0_0000_0000_0000, 0x8000_0000_0000_0000, 0x407C_0000_0000_0000),
        [DType.F16] = Bytes<ushort>(0x3C00, 0xC000, 0x3800, 0x8000, 0x5F00),
        [DType.BF16] = Bytes<ushort>(0x3F80, 0xC000, 0x3F00, 0x8000, 0x43E0),
        [DType.F8_E4M3] = [0x38, 0xC0, 0x30, 0x80, 0x7E],
        [DType.F8_E5M2] = [0x3C, 0xC0, 0x38, 0x80, 0x5F],
    };

    public static TheoryData<DType, DType> SupportedPairs()
    {
        var data = new TheoryData<DType, DType>();
        foreach (var from in Encoded.Keys)
            foreach (var to in new[] { DType.F32, DType.F16, DType.BF16 })
                data.Add(from, to);
        return data;
    }

    public static TheoryData<DType> UnsupportedSources() =>
        [.. Enum.GetValues<DType>().Where(d => !Encoded.ContainsKey(d))];

    public static TheoryData<DType> UnsupportedTargets() =>
        [.. Enum.GetValues<DType>().Where(d => d is not (DType.F32 or DType.F16 or DType.BF16))];

    [Theory]
    [MemberData(nameof(SupportedPairs))]
    public void ConvertMapsHandEncodedValues(DType from, DType to)
    {
        Assert.True(FloatConversions.CanConvert(from, to));
        var destination = new byte[Encoded[to].Length];
        FloatConversions.Convert(from, Encoded[from], to, destination);
        Assert.Equal(Encoded[to], destination);
    }

    [Theory]
    [MemberData(nameof(SupportedPairs))]
    public void ConvertOverManyChunksEqualsElementwiseConversion(DType from, DType to)
    {
        // 5000 elements: more than two of the float32 chunks used when neither side is float32.
        var random = new Random(7);
        var source = new byte[5000 * DTypes.ByteSize(from)];
        random.NextBytes(source);
        var floats = new float[5000];
        FloatConversions.ToSingle(from, source, floats);
        var expected = new byte[5000 * DTypes.ByteSize(to)];
        FloatConversions.FromSingle(floats, to, expected);
        if (from == to)
            expected = source; // a bit copy: NaN payloads are not canonicalized

        var actual = new byte[expected.Length];
        FloatConversions.Convert(from, source, to, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ToSingleAndFromSingleUseTheElementConverters()
    {
        var halves = new ushort[] { 0x3C00, 0x7C01, 0x0001 };
        var floats = new float[3];
        FloatConversions.ToSingle(DType.F16, MemoryMarshal.AsBytes(halves.AsSpan()), floats);
        Assert.Equal(halves.Select(FloatConversions.HalfBitsToSingle), floats);

        var bf16 = new byte[6];
        FloatConversions.FromSingle([1.0f, float.NaN, 1.00390625f], DType.BF16, bf16);
        Assert.Equal(Bytes<ushort>(0x3F80, 0x7FC0, 0x3F80), bf16);
    }

    [Fact]
    public void SameDtypeIsABitCopyThatKeepsNaNPayloads()
    {
        var source = Bytes<ushort>(0x7C01, 0xFFFF, 0x0001);
        var destination = new byte[source.Length];
        FloatConversions.Convert(DType.F16, source, DType.F16, destination);
        Assert.Equal(source, destination);
    }

    [Fact]
    public void Float64RoundsToFloat32FirstAsTorchDoes()
    {
        // 1 + 2^-8 + 2^-40: float32 drops the 2^-40, leaving an exact bfloat16 tie that goes to even (1.0). Rounding
        // the double directly would give 1 + 2^-7; torch builds c10::BFloat16 from a float, so it gives 1.0 too.
        var value = 1 + Math.ScaleB(1, -8) + Math.ScaleB(1, -40);
        var destination = new byte[2];
        FloatConversions.Convert(DType.F64, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), DType.BF16, destination);
        Assert.Equal(Bytes<ushort>(0x3F80), destination);
    }

    [Fact]
    public void DoubleToSingleRoundsToNearestEven()
    {
        var values = new[] { 1 + Math.ScaleB(1, -24), 1 + Math.ScaleB(3, -24), 1e300, double.NaN, -0.0 };
        var floats = new float[values.Length];
        FloatConversions.DoubleToSingle(values, floats);
        Assert.Equal([1.0f, 1 + MathF.ScaleB(1, -22), float.PositiveInfinity, float.NaN, -0.0f], floats);
        Assert.True(float.IsNegative(floats[4]));
    }

    [Theory]
    [MemberData(nameof(UnsupportedSources))]
    public void UnsupportedSourcesAreRefusedWithTheirName(DType from)
    {
        Assert.False(FloatConversions.CanConvert(from, DType.BF16));
        var convert = Assert.Throws<TensorException>(() => FloatConversions.Convert(from, new byte[8], DType.BF16, new byte[8]));
        var toSingle = Assert.Throws<TensorException>(() => FloatConversions.ToSingle(from, new byte[8], new float[2]));
        foreach (var error in new[] { convert, toSingle })
        {
            Assert.Equal(TensorErrorReason.UnsupportedConversion, error.Reason);
            Assert.Contains($"{DTypes.SafetensorsName(from)} is not supported", error.Message, StringComparison.Ordinal);
            Assert.Contains("F32, F16, BF16, F64, F8_E4M3, F8_E5M2", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(UnsupportedTargets))]
    public void UnsupportedTargetsAreRefusedWithTheirName(DType to)
    {
        Assert.False(FloatConversions.CanConvert(DType.F32, to));
        var convert = Assert.Throws<TensorException>(() => FloatConversions.Convert(DType.F32, new byte[8], to, new byte[8]));
        var fromSingle = Assert.Throws<TensorException>(() => FloatConversions.FromSingle(new float[2], to, new byte[8]));
        foreach (var error in new[] { convert, fromSingle })
        {
            Assert.Equal(TensorErrorReason.UnsupportedConversion, error.Reason);
            Assert.Contains($"{DTypes.SafetensorsName(to)} is not supported", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PartialElementsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.BF16, new byte[3], DType.F32, new byte[4]));
        Assert.Throws<ArgumentException>(() => FloatConversions.ToSingle(DType.F32, new byte[6], new float[1]));
        Assert.Throws<ArgumentException>(() => FloatConversions.FromSingle(new float[1], DType.F16, new byte[3]));
    }

    [Fact]
    public void WrongDestinationSizesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.BF16, new byte[4], DType.F32, new byte[4]));
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.F8_E4M3, new byte[4], DType.F16, new byte[10]));
        Assert.Throws<ArgumentException>(() => FloatConversions.ToSingle(DType.BF16, new byte[4], new float[3]));
        Assert.Throws<ArgumentException>(() => FloatConversions.SingleToHalf(new float[4], new ushort[5]));
        Assert.Throws<ArgumentException>(() => FloatConversions.BFloat16ToSingle(new ushort[4], new float[3]));
        Assert.Throws<ArgumentException>(() => FloatConversions.Float8E5M2ToSingle(new byte[4], new float[3]));
        Assert.Throws<ArgumentException>(() => FloatConversions.DoubleToSingle(new double[4], new float[3]));
    }

    [Fact]
    public void OverlappingBuffersAreRefused()
    {
        var buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.F32, buffer.AsSpan(0, 32), DType.BF16, buffer.AsSpan(16, 16)));
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.F16, buffer.AsSpan(0, 16), DType.BF16, buffer.AsSpan(8, 16)));
        Assert.Throws<ArgumentException>(() => FloatConversions.Convert(DType.F16, buffer.AsSpan(0, 16), DType.F16, buffer.AsSpan(8, 16)));
        var floats = new float[16];
        Assert.Throws<ArgumentException>(() =>
            FloatConversions.SingleToBFloat16(floats.AsSpan(0, 8), MemoryMarshal.Cast<float, ushort>(floats.AsSpan(4, 4))));
    }

    [Fact]
    public void EmptyInputsConvertToNothing()
    {
        FloatConversions.Convert(DType.F8_E4M3, [], DType.BF16, []);
        FloatConversions.BFloat16ToSingle([], []);
        FloatConversions.SingleToHalf([], []);
    }

    private static byte[] Bytes<T>(params T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
