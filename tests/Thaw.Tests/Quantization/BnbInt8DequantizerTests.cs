using Thaw.Quantization.Bnb;
using Thaw.Tests.Tensors;

namespace Thaw.Tests.Quantization;

/// <summary>LLM.int8 dequantization: hand-computed values of spec §6's formula, and every width against it.</summary>
public class BnbInt8DequantizerTests
{
    [Fact]
    public void ConstantIsBitsandbytesFloat32Literal()
    {
        Assert.Equal(0x3C010204u, BitConverter.SingleToUInt32Bits(BnbInt8Dequantizer.InverseOf127));
    }

    [Fact]
    public void HandComputedValuesAtEveryWidth()
    {
        // Values worked out with Python struct (float32 round trips):
        //   127 * 1.0 * c = 1.0 exactly (0x3F800000);
        //   -104 * 1.0 * c = 0xBF51A346, while the exact quotient -104/127 rounds to 0xBF51A347;
        //   -124 * 0.1f = f32(-12.4), times c = 0xBDC7F654, while scaling first, -124 * f32(0.1f * c), gives 0xBDC7F653.
        sbyte[] codes = [127, -104, 0, 1, -1, -124, 0, 0, 0, -128]; // two rows of 5
        float[] scales = [1.0f, 0.1f];
        Assert.Equal(0xBF51A347u, BitConverter.SingleToUInt32Bits(-104f / 127f));
        Assert.Equal(0xBDC7F653u, BitConverter.SingleToUInt32Bits(-124 * (0.1f * BnbInt8Dequantizer.InverseOf127)));
        foreach (var width in ConversionSamples.AllWidths)
        {
            var actual = new float[codes.Length];
            BnbInt8Dequantizer.Dequantize(codes, scales, actual, width);
            Assert.Equal(0x3F800000u, BitConverter.SingleToUInt32Bits(actual[0]));
            Assert.Equal(0xBF51A346u, BitConverter.SingleToUInt32Bits(actual[1]));
            Assert.Equal(0x00000000u, BitConverter.SingleToUInt32Bits(actual[2]));
            Assert.Equal(0xBDC7F654u, BitConverter.SingleToUInt32Bits(actual[5]));
        }
    }

    [Fact]
    public void EveryWidthAndRowLengthMatchesTheFormula()
    {
        var random = new Random(11);
        foreach (var rowLength in Enumerable.Range(0, 40).Append(1000))
        {
            const int rows = 3;
            var codes = new sbyte[rows * rowLength];
            random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codes.AsSpan()));
            var scales = Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() * 3)).ToArray();
            var expected = new float[codes.Length];
            for (var i = 0; i < codes.Length; i++)
            {
                float scaled = codes[i] * scales[i / rowLength];
                expected[i] = scaled * 0.007874015718698502f;
            }
            foreach (var width in ConversionSamples.AllWidths)
            {
                var actual = new float[codes.Length];
                BnbInt8Dequantizer.Dequantize(codes, scales, actual, width);
                Assert.Equal(Bnb4BitDequantizerTests.Bits(expected), Bnb4BitDequantizerTests.Bits(actual));
            }
        }
    }

    [Fact]
    public void CodesThatAreNotWholeRowsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => BnbInt8Dequantizer.Dequantize(new sbyte[7], new float[2], new float[7]));
        Assert.Equal("rowScales", e.ParamName);
    }
}
