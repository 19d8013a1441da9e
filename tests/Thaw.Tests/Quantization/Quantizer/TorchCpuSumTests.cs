using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Quantization.Quantizer;

/// <summary>
/// The order in which torch's CPU kernel adds (worked by hand from ATen's cascade_sum): with 1e8 and -1e8 among ones,
/// float32 loses a 1 whenever one is added to ±1e8, so the result counts the ones that met the big values.
/// (The A2 fixture's offsets check the same code on real sizes 8, 16 and 64 bit for bit.)
/// </summary>
public class TorchCpuSumTests
{
    [Fact]
    public void FewerThanSixteenValuesAddFourInterleavedPartialSums()
    {
        // n = 8: partial k = x[k] + x[4 + k]; then ((p0 + p1) + p2) + p3. 1e8 and -1e8 meet in p0 and cancel exactly.
        float[] values = [1e8f, 1, 1, 1, -1e8f, 1, 1, 1];
        Assert.Equal(6f, TorchCpuSum.Sum(values));
        // n = 9: the leftover element joins p0 after the pairs: (1e8 + -1e8) + 1 = 1.
        Assert.Equal(7f, TorchCpuSum.Sum([.. values, 1f]));
    }

    [Fact]
    public void SixteenValuesAreOneVectorWhoseLanesAreAddedInOrder()
    {
        // One 16-lane vector: 0 + x0 + x1 + ... in order; the ones after 1e8 are lost until -1e8 arrives.
        var values = Enumerable.Repeat(1f, 16).ToArray();
        values[0] = 1e8f;
        values[4] = -1e8f;
        Assert.Equal(11f, TorchCpuSum.Sum(values)); // lanes 1-3 vanish into 1e8; lanes 5-15 count
    }

    [Fact]
    public void LeftoverScalarsComeBeforeTheVectorLanes()
    {
        // n = 17: the 17th value is added to 0 first, then lanes 0..15 in order.
        var values = Enumerable.Repeat(1f, 17).ToArray();
        values[0] = 1e8f;
        values[1] = -1e8f;
        values[16] = 1e8f;
        // total: 1e8 (leftover) + 1e8 (lane 0) + -1e8 (lane 1) → 1e8, then 14 ones are lost.
        Assert.Equal(1e8f, TorchCpuSum.Sum(values));
    }

    [Fact]
    public void MeanDividesTheFloat32SumByTheCount()
    {
        Assert.Equal(2.5f, TorchCpuSum.Mean([1f, 2f, 3f, 4f]));
        Assert.Equal(1f / 3f * 2f, TorchCpuSum.Mean([1f, 1f, 0f]));
        var many = Enumerable.Range(0, 100_000).Select(i => (float)(i % 7)).ToArray();
        Assert.Equal(many.Sum(v => (double)v) / many.Length, TorchCpuSum.Mean(many), 5);
    }
}
