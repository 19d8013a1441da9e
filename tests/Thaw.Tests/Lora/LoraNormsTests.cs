using Thaw.Lora;

namespace Thaw.Tests.Lora;

public class LoraNormsTests
{
    [Fact]
    public void SquareDeltaNormMatchesTheHandComputedProduct()
    {
        // B [[1,1],[0,1]] · A [[1,2],[3,4]] = [[4,6],[3,4]]: ||·||² = 16 + 36 + 9 + 16 = 77; scaling 2.
        Assert.Equal(2 * Math.Sqrt(77), LoraNorms.Delta([1, 2, 3, 4], [1, 1, 0, 1], 2, 2.0), 1e-12);
    }

    [Fact]
    public void RectangularDeltaNormMatchesTheHandComputedProduct()
    {
        // B [[3, -1]] (1×2) · A [[1,0,2],[0,1,1]] (2×3) = [3, -1, 5]: ||·||² = 35; a negative scaling counts by magnitude.
        Assert.Equal(0.5 * Math.Sqrt(35), LoraNorms.Delta([1, 0, 2, 0, 1, 1], [3, -1], 2, -0.5), 1e-12);
    }

    [Fact]
    public void ZeroBGivesAZeroNorm() => Assert.Equal(0, LoraNorms.Delta([1, 2, 3, 4], [0, 0, 0, 0], 2, 2.0));

    [Fact]
    public void LengthsThatAreNotMultiplesOfTheRankAreRejected() =>
        Assert.Throws<ArgumentException>(() => LoraNorms.Delta([1, 2, 3], [1, 1], 2, 1.0));
}
