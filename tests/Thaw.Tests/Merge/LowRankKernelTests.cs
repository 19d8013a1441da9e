using Thaw.Lora.Merge;
using Thaw.Tensors;

namespace Thaw.Tests.Merge;

/// <summary>The low-rank add kernel: every SIMD width gives the scalar path's bits, and small integer cases give the closed form.</summary>
public class LowRankKernelTests
{
    private static readonly SimdWidth[] Widths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];

    public static TheoryData<int> Ranks() => [.. Enumerable.Range(1, 17)];

    [Theory]
    [MemberData(nameof(Ranks))]
    public void EveryWidthMatchesTheScalarPathBitForBit(int rank)
    {
        var random = new Random(rank);
        // Every tail length of the 4-, 8- and 16-wide paths, and a few large row lengths.
        foreach (var columns in Enumerable.Range(1, 70).Concat([127, 128, 129, 1000, 4099]))
        {
            const int rows = 3;
            var coefficients = Random(random, rows * rank);
            var factors = Random(random, rank * columns);
            var start = Random(random, rows * columns);
            var scale = (float)(random.NextDouble() * 4);
            var expected = (float[])start.Clone();
            LowRankKernel.AddScaledProduct(coefficients, factors, rank, scale, expected, SimdWidth.Scalar);
            foreach (var width in Widths)
            {
                var actual = (float[])start.Clone();
                LowRankKernel.AddScaledProduct(coefficients, factors, rank, scale, actual, width);
                for (var i = 0; i < actual.Length; i++)
                {
                    if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                        Assert.Fail($"{width}, rank {rank}, {columns} columns: element {i} is {actual[i]:R}, scalar gives {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void EveryWidthRoundsEachProductWithoutFusedMultiplyAdd()
    {
        // (1+2^-12)² = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in float32; a fused multiply-add onto -1 would keep the 2^-24.
        var x = 1 + MathF.Pow(2, -12);
        foreach (var width in Widths)
        {
            var values = new float[16];
            LowRankKernel.AddScaledProduct([1, x], [.. Enumerable.Repeat(-1f, 16), .. Enumerable.Repeat(x, 16)], 2, 1, values, width);
            Assert.All(values, v => Assert.Equal(MathF.Pow(2, -11), v));
        }
    }

    [Fact]
    public void SmallIntegersGiveTheClosedForm()
    {
        // B [2 rows, r 2] @ A [r 2, 3 columns] · 2, added to W.
        float[] b = [1, 2, 3, 4];
        float[] a = [1, 0, -1, 2, 1, 0];
        foreach (var width in Widths)
        {
            float[] w = [10, 20, 30, 40, 50, 60];
            LowRankKernel.AddScaledProduct(b, a, 2, 2, w, width);
            // B@A = [[5, 2, -1], [11, 4, -3]].
            Assert.Equal([20f, 24, 28, 62, 58, 54], w);
        }
    }

    [Fact]
    public void ArgumentsThatDoNotFitAreRejected()
    {
        var values = new float[6];
        Assert.Throws<ArgumentOutOfRangeException>(() => LowRankKernel.AddScaledProduct(new float[4], new float[6], 0, 1, values));
        Assert.Throws<ArgumentException>(() => LowRankKernel.AddScaledProduct(new float[4], new float[5], 2, 1, values));
        Assert.Throws<ArgumentException>(() => LowRankKernel.AddScaledProduct(new float[3], new float[6], 2, 1, values));
        var error = Assert.Throws<ArgumentException>(() => LowRankKernel.AddScaledProduct(new float[4], new float[6], 2, 1, new float[7]));
        Assert.Equal("values", error.ParamName);
    }

    private static float[] Random(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
}
