using System.Runtime.InteropServices;
using Thaw.Models;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Quantization;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// The bitsandbytes row sources on small checkpoints with chosen contents, for what the A2 fixtures lack: non-uint8
/// quant_storage, several nested absmax blocks, odd element counts, LLM.int8. Expected values come from
/// <see cref="BnbReference"/> and spec §6's formula.
/// </summary>
public sealed class BnbRowSourceTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(DType.U8)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    [InlineData(DType.F32)]
    public void QuantStorageDTypeOnlyChangesTheShapeOfThePackedBytes(DType storage)
    {
        // 16 x 24 = 384 elements: 192 packed bytes, 3 blocks of 128 that end mid-row.
        long[] shape = [16, 24];
        var (packed, absmax) = Bnb4BitDequantizerTests.RandomWeight(384, 128, seed: 5);
        using var model = BnbCheckpoint.Open(_temp, BnbCheckpoint.FourBit(shape, BnbQuantType.Nf4, 128, packed, absmax, storage));
        var source = For(model);
        Assert.Equal(storage, Assert.IsType<Bnb4BitTensor>(model.Tensors.Single()).StorageDType);
        AssertRows(source, BnbReference.Decode(BnbQuantType.Nf4, 128, packed, absmax, 0, 384));
    }

    [Fact]
    public void DoubleQuantWithSeveralNestedBlocksAndAPartialLastOne()
    {
        // 100 x 701 elements in blocks of 32: 2191 maxima, nested in 8 full blocks of 256 and one of 143.
        long[] shape = [100, 701];
        const int n = 70100;
        const int blocksize = 32;
        const int blocks = (n + blocksize - 1) / blocksize;
        var random = new Random(9);
        var packed = new byte[n / 2];
        random.NextBytes(packed);
        var codes = new byte[blocks];
        random.NextBytes(codes);
        var nestedMap = Enumerable.Range(0, 256).Select(_ => (float)(random.NextDouble() * 2 - 1)).Order().ToArray();
        var nestedAbsmax = Enumerable.Range(0, 9).Select(_ => (float)(0.01 + random.NextDouble() * 0.1)).ToArray();
        const float offset = 0.0371f;
        using var model = BnbCheckpoint.Open(_temp, BnbCheckpoint.DoubleQuant(shape, blocksize, packed, codes, nestedAbsmax, nestedMap, offset));

        var absmax = BnbReference.Absmax(codes, nestedMap, nestedAbsmax, 256, offset);
        AssertRows(For(model), BnbReference.Decode(BnbQuantType.Nf4, blocksize, packed, absmax, 0, n));
    }

    [Theory]
    [InlineData(new long[] { 3, 5 }, BnbQuantType.Fp4)]
    [InlineData(new long[] { 7 }, BnbQuantType.Nf4)]
    [InlineData(new long[] { 1, 129 }, BnbQuantType.Nf4)]
    public void OddElementCountsUseHalfOfTheLastByte(long[] shape, BnbQuantType type)
    {
        var n = shape.Aggregate(1L, (a, d) => a * d);
        var (packed, absmax) = Bnb4BitDequantizerTests.RandomWeight(n, 64, seed: (int)n);
        using var model = BnbCheckpoint.Open(_temp, BnbCheckpoint.FourBit(shape, type, 64, packed, absmax));
        var source = For(model);
        Assert.Equal(shape[0], source.RowCount);
        AssertRows(source, BnbReference.Decode(type, 64, packed, absmax, 0, (int)n));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Int8RowsFollowTheFormula(bool storedWeightFormat)
    {
        const int rows = 9;
        const int length = 37;
        var random = new Random(13);
        var codes = new sbyte[rows * length];
        random.NextBytes(MemoryMarshal.AsBytes(codes.AsSpan()));
        var scb = Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() * 4)).ToArray();
        using var model = BnbCheckpoint.Open(_temp, BnbCheckpoint.Int8(codes, scb, storedWeightFormat ? BnbStoredValues.RowMajorFormat : null));
        var source = Assert.IsType<BnbInt8RowSource>(TensorRowSources.For(model.Tensors.Single(t => t.Name == BnbCheckpoint.Weight)));

        var expected = new float[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            float scaled = codes[i] * scb[i / length];
            expected[i] = scaled * 0.007874015718698502f;
        }
        AssertRows(source, expected);
    }

    private static Bnb4BitRowSource For(HfModel model) =>
        Assert.IsType<Bnb4BitRowSource>(TensorRowSources.For(model.Tensors.Single(t => t.Name == BnbCheckpoint.Weight)));

    /// <summary>The whole tensor, and chunks of 1, 2, 3, 7 and 64 rows, equal <paramref name="expected"/> bit for bit
    /// (and, for 4-bit sources, as bf16 and f16).</summary>
    private static void AssertRows(ITensorRowSource source, float[] expected)
    {
        var rows = (int)source.RowCount;
        var length = (int)source.RowLength;
        Assert.Equal(expected.Length, rows * length);
        foreach (var chunk in new[] { rows, 1, 2, 3, 7, 64 })
        {
            var actual = new float[expected.Length];
            for (var row = 0; row < rows; row += chunk)
            {
                var count = Math.Min(chunk, rows - row);
                source.ReadRows(row, count, actual.AsSpan(row * length, count * length));
            }
            Assert.Equal(Bnb4BitDequantizerTests.Bits(expected), Bnb4BitDequantizerTests.Bits(actual));
        }

        if (source is Bnb4BitRowSource fourBit)
        {
            var bf16 = new byte[expected.Length * 2];
            fourBit.ReadRows(0, rows, DType.BF16, bf16);
            Assert.Equal(expected.Select(BnbReference.BFloat16), MemoryMarshal.Cast<byte, ushort>(bf16).ToArray());
            var f16 = new byte[expected.Length * 2];
            fourBit.ReadRows(0, rows, DType.F16, f16);
            Assert.Equal(expected.Select(BnbReference.Half), MemoryMarshal.Cast<byte, ushort>(f16).ToArray());
        }
    }
}
