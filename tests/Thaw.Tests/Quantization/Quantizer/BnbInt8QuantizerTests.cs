using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization.Quantizer;

public class BnbInt8QuantizerTests
{
    [Fact]
    public void ScaleByTheRowMaximumAndRoundHalfToEven()
    {
        // SCB 127 → scale f32(127/127) = 1: q = round-half-even(w).
        var codes = new sbyte[7];
        var scb = BnbInt8Quantizer.QuantizeRow([127f, 2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -127f], codes);
        Assert.Equal(127f, scb);
        Assert.Equal(new sbyte[] { 127, 2, 4, -2, 0, 2, -127 }, codes);
    }

    [Fact]
    public void UsesTheFloat32QuotientAsTheScale()
    {
        // SCB 3: scale = f32(127/3) = 42.33333206; 1 → 42; -3 → -127; 1.5 × scale = 63.4999981 lies exactly halfway between
        // two float32 values and the product rounds to 63.5, which rounds half-to-even to 64; 2 → 84.67 → 85.
        var codes = new sbyte[4];
        var scb = BnbInt8Quantizer.QuantizeRow([1f, -3f, 1.5f, 2f], codes);
        Assert.Equal(3f, scb);
        Assert.Equal(new sbyte[] { 42, -127, 64, 85 }, codes);
    }

    [Fact]
    public void RoundsToFloat16BeforeTakingTheMaximum()
    {
        // 0.1f is not a float16: it becomes 0.0999755859375 (0x2E66) and that is the SCB. 1/3 in f16 is 0.333251953125.
        var codes = new sbyte[2];
        var scb = BnbInt8Quantizer.QuantizeRow([0.1f, 0.05f], codes);
        Assert.Equal(0.0999755859375f, scb);
        Assert.Equal(new sbyte[] { 127, 64 }, codes); // 0.0499877929... * f32(127 / 0.0999755859375) = 63.5 → 64 (even)
    }

    [Fact]
    public void AnAllZeroRowHasScbZeroAndCodesZero()
    {
        var codes = new sbyte[] { 1, 2, 3 };
        Assert.Equal(0f, BnbInt8Quantizer.QuantizeRow([0f, -0f, 0f], codes));
        Assert.Equal(new sbyte[3], codes);
    }

    [Theory]
    [InlineData(70000f)]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    public void RejectsValuesFloat16CannotHold(float bad)
    {
        var e = Assert.Throws<BnbQuantizeException>(() => BnbInt8Quantizer.QuantizeRow([1f, bad], new sbyte[2], "m.weight", 5));
        Assert.Equal(BnbQuantizeError.NonFiniteValue, e.Reason);
        Assert.Equal("m.weight", e.TensorName);
        Assert.Contains("row 5, column 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsACodeSpanOfTheWrongLength() =>
        Assert.Throws<ArgumentException>(() => BnbInt8Quantizer.QuantizeRow([1f, 2f], new sbyte[3]));
}
