using System.Text;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Models;
using Xunit.Abstractions;

namespace Thaw.Tests.Quantization.Quantizer;

/// <summary>
/// Quantizing A1 (bf16) reproduces the A2 checkpoints bitsandbytes wrote from it (blocksize 64, compute bf16). The
/// fixtures were written by bitsandbytes' pure-PyTorch backend, which chooses codes like the CUDA kernel except at
/// exact ties on negative values and for FP4's zero signs and literal thresholds; every difference is checked against
/// that backend's rule (bucketize against the float32 midpoints of the sorted table).
/// </summary>
public class Bnb4BitFixtureTests(ITestOutputHelper output)
{
    private const int Blocksize = 64;

    [Fact]
    public void Nf4DoubleQuantReproducesEveryTensorOfTheFixture()
    {
        using var fixtures = QuantizerFixtures.Nf4DoubleQuant();
        long codes = 0, identical = 0;
        foreach (var name in ModelFixtures.QuantizedWeights)
        {
            var weight = fixtures.Weight(name);
            var (packed, absmax) = Quantize(weight, BnbQuantType.Nf4);
            var absmaxCodes = new byte[absmax.Length];
            var nestedAbsmax = new float[BnbDoubleQuantizer.NestedBlockCount(absmax.Length)];
            var offset = BnbDoubleQuantizer.Quantize(absmax, absmaxCodes, nestedAbsmax);

            Assert.Equal(fixtures.Bytes(name + ".absmax"), absmaxCodes);
            AssertBits(fixtures.Floats(name + ".nested_absmax"), nestedAbsmax, name + ".nested_absmax");
            AssertBits(fixtures.Floats(name + ".quant_map"), BnbQuantMaps.For(BnbQuantType.Nf4).ToArray(), name + ".quant_map");
            AssertBits(fixtures.Floats(name + ".nested_quant_map"), DynamicMap.Table.ToArray(), name + ".nested_quant_map");

            var info = fixtures.Original.Tensors.Single(t => t.Name == name);
            var state = new BnbQuantState(BnbQuantType.Nf4, Blocksize, DType.BF16, info.Shape,
                new BnbNestedQuantState(BnbDoubleQuantizer.NestedBlocksize, DType.F32, offset));
            var expectedJson = fixtures.Bytes(name + ".quant_state.bitsandbytes__nf4");
            Assert.Equal(Encoding.UTF8.GetString(expectedJson), Encoding.UTF8.GetString(BnbQuantStateJson.Serialize(state)));

            var expected = fixtures.Bytes(name);
            Assert.Equal(packed.Length, expected.Length);
            for (var i = 0; i < weight.Length; i++)
            {
                codes++;
                if (Code(packed, i) == Code(expected, i))
                {
                    identical++;
                    continue;
                }
                var scaled = weight[i] * (1f / absmax[i / Blocksize]);
                Assert.True(IsNearNf4Threshold(scaled), $"{name}[{i}]: code {Code(packed, i)} vs {Code(expected, i)} at s = {scaled:R}, not at a threshold");
            }
        }
        output.WriteLine($"NF4: {identical} of {codes} codes identical ({100.0 * identical / codes:F4}%)");
        Assert.True(identical >= codes * 0.999);
    }

    [Fact]
    public void Fp4ReproducesTheFixtureUpToThePureTorchBackendsTiesAndZeroSigns()
    {
        using var fixtures = QuantizerFixtures.Fp4();
        long codes = 0, identical = 0, zeroSigns = 0, thresholds = 0;
        foreach (var name in ModelFixtures.QuantizedWeights)
        {
            var weight = fixtures.Weight(name);
            var (packed, absmax) = Quantize(weight, BnbQuantType.Fp4);
            AssertBits(fixtures.Floats(name + ".absmax"), absmax, name + ".absmax");
            AssertBits(fixtures.Floats(name + ".quant_map"), BnbQuantMaps.For(BnbQuantType.Fp4).ToArray(), name + ".quant_map");
            var info = fixtures.Original.Tensors.Single(t => t.Name == name);
            var state = new BnbQuantState(BnbQuantType.Fp4, Blocksize, DType.BF16, info.Shape, null);
            Assert.Equal(fixtures.Bytes(name + ".quant_state.bitsandbytes__fp4"), BnbQuantStateJson.Serialize(state));

            var expected = fixtures.Bytes(name);
            for (var i = 0; i < weight.Length; i++)
            {
                codes++;
                var scaled = weight[i] * (1f / absmax[i / Blocksize]);
                var ours = Code(packed, i);
                var theirs = Code(expected, i);
                // Both facts: we follow the CUDA kernel, the fixture follows the pure-torch backend.
                Assert.Equal(CudaReference.Fp4(scaled), ours);
                Assert.Equal(PureTorchFp4(scaled), theirs);
                if (ours == theirs)
                    identical++;
                else if ((ours & 7) == 0 && (theirs & 7) == 0)
                    zeroSigns++; // +0 and -0: the same dequantized value up to its sign
                else
                {
                    Assert.True(IsAtFp4Threshold(scaled), $"{name}[{i}]: code {ours} vs {theirs} at s = {scaled:R}, not at a threshold");
                    thresholds++;
                }
            }
        }
        output.WriteLine($"FP4: {identical} of {codes} codes identical ({100.0 * identical / codes:F4}%), {zeroSigns} differ only in the sign of zero, {thresholds} at a threshold");
        Assert.True(identical + zeroSigns >= codes * 0.999);
        Assert.True(zeroSigns > 0); // the backends really do differ here: a regression to torch's rule would show
    }

    private static (byte[] Packed, float[] Absmax) Quantize(float[] weight, BnbQuantType type)
    {
        var packed = new byte[Bnb4BitQuantizer.PackedLength(weight.Length)];
        var absmax = new float[Bnb4BitQuantizer.BlockCount(weight.Length, Blocksize)];
        Bnb4BitQuantizer.Quantize(weight, type, Blocksize, packed, absmax);
        return (packed, absmax);
    }

    private static int Code(byte[] packed, int element) =>
        element % 2 == 0 ? packed[element / 2] >> 4 : packed[element / 2] & 0xF;

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }

    private static bool IsNearNf4Threshold(float scaled) =>
        CudaReference.Nf4Thresholds.Any(t => Math.Abs(BitConverter.SingleToInt32Bits(scaled) - BitConverter.SingleToInt32Bits(t)) <= 1);

    // Within an ulp of a CUDA literal or of a true midpoint, or between the two (where the literal is not the midpoint).
    private static bool IsAtFp4Threshold(float scaled)
    {
        var magnitude = MathF.Abs(scaled);
        return CudaReference.Fp4Literals.Zip(Fp4Midpoints()).Any(pair =>
        {
            var low = MathF.BitDecrement(MathF.Min(pair.First, pair.Second));
            var high = MathF.BitIncrement(MathF.Max(pair.First, pair.Second));
            return magnitude >= low && magnitude <= high;
        });
    }

    // The float32 midpoints between the FP4 magnitudes in ascending order (what the pure-torch backend compares).
    private static float[] Fp4Midpoints()
    {
        var magnitudes = BnbQuantMaps.For(BnbQuantType.Fp4)[..8].ToArray().Order().ToArray();
        return [.. magnitudes.Zip(magnitudes.Skip(1), (a, b) => (a + b) / 2)];
    }

    // bitsandbytes backends/default quantize_4bit: bucketize(clamp(s), midpoints of the sorted table) (a value on a
    // midpoint goes to the lower entry), mapped back through argsort. The two zeros (codes 0 and 8, both +0.0) sort
    // as 0 then 8, so (-mid, 0] gives code 0 and (0, mid] gives code 8.
    private static int PureTorchFp4(float scaled)
    {
        var table = BnbQuantMaps.For(BnbQuantType.Fp4).ToArray();
        var order = Enumerable.Range(0, 16).OrderBy(i => table[i]).ThenBy(i => i).ToArray();
        var clamped = Math.Clamp(scaled, -1f, 1f);
        var index = 0;
        for (var k = 0; k < 15; k++)
        {
            var midpoint = (table[order[k]] + table[order[k + 1]]) / 2;
            if (clamped > midpoint)
                index = k + 1;
        }
        return order[index];
    }
}
