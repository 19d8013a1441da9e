using Thaw.Analysis;
using Thaw.Tensors;

namespace Thaw.Tests.Analysis;

public class ErrorSumsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryWidthAgreesWithTheScalarPath(int widthNumber)
    {
        var width = (SimdWidth)widthNumber;
        var random = new Random(7);
        foreach (var length in new[] { 0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 1000 })
        {
            var original = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            if (length > 10)
                original[length / 2] = 40;
            var decoded = original.Select(v => v + (float)(random.NextDouble() - 0.5) * 0.01f).ToArray();
            var scalar = default(ErrorSums);
            scalar.Add(original, decoded, 0.01, 1.5, SimdWidth.Scalar);
            var vector = default(ErrorSums);
            vector.Add(original, decoded, 0.01, 1.5, width);
            Assert.Equal(scalar.SquaredError, vector.SquaredError, 1e-12);
            Assert.Equal(scalar.MaxError, vector.MaxError);
            Assert.Equal(scalar.Central2, vector.Central2, 1e-10);
            Assert.Equal(scalar.Central4, vector.Central4, 1e-6);
            Assert.Equal(scalar.Outliers, vector.Outliers);
            Assert.Equal(length > 10 ? 1 : 0, scalar.Outliers);
        }
    }

    [Fact]
    public void SumsAccumulateAcrossCalls()
    {
        float[] original = [1, 2, 3, 4, 5];
        float[] decoded = [1, 2.5f, 3, 3, 5];
        var once = default(ErrorSums);
        once.Add(original, decoded, 0, 100, SimdWidth.Scalar);
        var twice = default(ErrorSums);
        twice.Add(original.AsSpan(0, 2), decoded.AsSpan(0, 2), 0, 100);
        twice.Add(original.AsSpan(2), decoded.AsSpan(2), 0, 100);
        Assert.Equal(1.25, once.SquaredError);
        Assert.Equal(1, once.MaxError);
        Assert.Equal(once.SquaredError, twice.SquaredError);
        Assert.Equal(55, twice.Central2);
    }
}
