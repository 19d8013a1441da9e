using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization.Quantizer;

public class PythonFloatReprTests
{
    [Theory]
    [InlineData(0.25921630859375, "0.25921630859375")]
    [InlineData(0.263946533203125, "0.263946533203125")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1.5e-07, "1.5e-07")]
    [InlineData(9.5367431640625e-07, "9.5367431640625e-07")]
    [InlineData(9e-05, "9e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00012345, "0.00012345")]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0, "1.0")]
    [InlineData(100.0, "100.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(12345678901234567.0, "1.2345678901234568e+16")]
    [InlineData(1e22, "1e+22")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    public void FormatsLikePythonRepr(double value, string expected) => Assert.Equal(expected, PythonFloatRepr.Format(value));

    [Fact]
    public void AFloat32ValueIsPrintedAsItsExactDouble()
    {
        // float32 0.1 as a Python float (offset.item() of a float32 tensor).
        Assert.Equal("0.10000000149011612", PythonFloatRepr.Format(0.1f));
    }

    [Fact]
    public void NonFiniteValuesAreWrittenAsJsonDumpsDoes()
    {
        Assert.Equal("NaN", PythonFloatRepr.Format(double.NaN));
        Assert.Equal("Infinity", PythonFloatRepr.Format(double.PositiveInfinity));
        Assert.Equal("-Infinity", PythonFloatRepr.Format(double.NegativeInfinity));
    }
}
