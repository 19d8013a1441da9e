using Thaw.Formats.Gguf.Quants;
using Thaw.Tensors;

namespace Thaw.Tests.Gguf;

/// <summary>Every Q8_0 vector width (run in software where not accelerated) gives the scalar path's bytes.</summary>
public sealed class Q8_0SimdTests
{
    [Fact]
    public void VectorPathsMatchTheScalarPath()
    {
        var random = new Random(8);
        var blocks = 4000;
        var x = new float[32 * blocks];
        for (var b = 0; b < blocks; b++)
        {
            var block = x.AsSpan(32 * b, 32);
            switch (b % 8)
            {
                case 0: // amax 127 and halves everywhere: ties round away from zero
                    for (var j = 0; j < 32; j++)
                        block[j] = random.Next(-127, 127) + 0.5f;
                    block[random.Next(32)] = random.Next(2) == 0 ? 127f : -127f;
                    break;
                case 1: // all zero (d = 0), with a negative zero
                    block[5] = -0f;
                    break;
                case 2: // a NaN: the scalar path decides
                    for (var j = 0; j < 32; j++)
                        block[j] = (float)random.NextDouble();
                    block[random.Next(32)] = float.NaN;
                    break;
                case 3: // infinities and huge values
                    for (var j = 0; j < 32; j++)
                        block[j] = (float)(random.NextDouble() - 0.5) * 3e38f;
                    if (random.Next(2) == 0)
                        block[random.Next(32)] = float.NegativeInfinity;
                    break;
                case 4: // subnormals
                    for (var j = 0; j < 32; j++)
                        block[j] = BitConverter.UInt32BitsToSingle((uint)random.Next(0, 0x7FFFFF)) * (random.Next(2) * 2 - 1);
                    break;
                default: // bit patterns of ordinary magnitudes
                    for (var j = 0; j < 32; j++)
                        block[j] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 8)));
                    break;
            }
        }
        var scalar = new byte[34 * blocks];
        Q8_0Codec.Quantize(x, scalar, SimdWidth.Scalar);
        foreach (var width in new[] { SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512 })
        {
            var vector = new byte[34 * blocks];
            Q8_0Codec.Quantize(x, vector, width);
            for (var b = 0; b < blocks; b++)
            {
                if (!scalar.AsSpan(34 * b, 34).SequenceEqual(vector.AsSpan(34 * b, 34)))
                    Assert.Fail($"{width} block {b}: {Convert.ToHexString(scalar, 34 * b, 34)} != {Convert.ToHexString(vector, 34 * b, 34)}");
            }
        }
    }
}
