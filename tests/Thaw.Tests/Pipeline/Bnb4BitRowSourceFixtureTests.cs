using System.Runtime.InteropServices;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Models;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Models;
using Thaw.Tests.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// The 14 Linear4bit weights of A2-llama-nf4-dq (NF4, double quant) and A2-llama-fp4 (FP4, float32 absmax) against
/// what bitsandbytes computed for them (tests/fixtures/A2-*.dequant-reference.safetensors, see MANIFEST.md): bf16 and
/// float32 output and the per-block absmax, bit for bit. The reference backend decodes FP4 code 8 to +0.0 where the
/// CUDA kernel (and Thaw) give -0.0, so for FP4 exactly that difference in the sign of zero is allowed.
/// </summary>
public class Bnb4BitRowSourceFixtureTests
{
    private const string Nf4 = "A2-llama-nf4-dq";
    private const string Fp4 = "A2-llama-fp4";

    public static TheoryData<string, string> Weights()
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in new[] { Nf4, Fp4 })
        {
            foreach (var weight in ModelFixtures.QuantizedWeights)
                data.Add(folder, weight);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Weights))]
    public void Float32OutputEqualsBitsandbytes(string folder, string weight)
    {
        using var model = Open(folder);
        var (tensor, source) = Source(model, weight);
        var actual = new float[tensor.ElementCount];
        source.ReadRows(0, (int)source.RowCount, actual);
        AssertSameAsBitsandbytes(folder, Reference(folder, weight + ".float32"), MemoryMarshal.AsBytes(actual.AsSpan()).ToArray(), sizeof(float));
    }

    [Theory]
    [MemberData(nameof(Weights))]
    public void BFloat16OutputEqualsBitsandbytes(string folder, string weight)
    {
        using var model = Open(folder);
        var (tensor, source) = Source(model, weight);
        Assert.Equal(DType.BF16, tensor.DType);
        var actual = new byte[tensor.ElementCount * 2];
        source.ReadRows(0, (int)source.RowCount, DType.BF16, actual);
        AssertSameAsBitsandbytes(folder, Reference(folder, weight), actual, sizeof(ushort));
    }

    [Theory]
    [MemberData(nameof(Weights))]
    public void AbsmaxEqualsBitsandbytes(string folder, string weight)
    {
        using var model = Open(folder);
        var (tensor, _) = Source(model, weight);
        var expected = Reference(folder, weight + ".absmax.float32");
        Assert.Equal(expected, MemoryMarshal.AsBytes(Absmax(tensor).AsSpan()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Weights))]
    public void EveryWidthEqualsBitsandbytes(string folder, string weight)
    {
        using var model = Open(folder);
        var (tensor, _) = Source(model, weight);
        var packed = tensor.Weight.File.ReadAll(tensor.Weight.Info);
        var absmax = Absmax(tensor);
        foreach (var width in ConversionSamples.AllWidths)
        {
            var f32 = new byte[tensor.ElementCount * 4];
            Bnb4BitDequantizer.Dequantize(tensor.QuantType, tensor.Blocksize, 0, packed, absmax, DType.F32, f32, width);
            AssertSameAsBitsandbytes(folder, Reference(folder, weight + ".float32"), f32, sizeof(float));
            var bf16 = new byte[tensor.ElementCount * 2];
            Bnb4BitDequantizer.Dequantize(tensor.QuantType, tensor.Blocksize, 0, packed, absmax, DType.BF16, bf16, width);
            AssertSameAsBitsandbytes(folder, Reference(folder, weight), bf16, sizeof(ushort));
        }
    }

    /// <summary>
    /// Row chunks of every size give the whole-tensor result. With in_features 32 and blocksize 64 (every projection but
    /// down_proj here) a block spans two rows, so chunks cut blocks: exactly the shapes bitsandbytes' native CPU library
    /// decodes wrongly (its AVX-512 path indexes absmax per row as in_features / blocksize = 0; MANIFEST.md).
    /// </summary>
    [Theory]
    [MemberData(nameof(Weights))]
    public void EveryRowChunkSizeGivesTheSameValues(string folder, string weight)
    {
        using var model = Open(folder);
        var (tensor, source) = Source(model, weight);
        var rows = (int)source.RowCount;
        var length = (int)source.RowLength;
        var whole = new float[tensor.ElementCount];
        source.ReadRows(0, rows, whole);
        var expected = MemoryMarshal.AsBytes(whole.AsSpan()).ToArray();
        for (var chunk = 1; chunk <= rows; chunk++)
        {
            var pieced = new float[tensor.ElementCount];
            for (var row = 0; row < rows; row += chunk)
            {
                var count = Math.Min(chunk, rows - row);
                source.ReadRows(row, count, pieced.AsSpan(row * length, count * length));
            }
            Assert.True(expected.AsSpan().SequenceEqual(MemoryMarshal.AsBytes(pieced.AsSpan())), $"{weight}: chunks of {chunk} rows differ");
        }
    }

    [Fact]
    public void Fp4Code8IsNegativeZeroWhereTheReferenceHasPositiveZero()
    {
        const string weight = "model.layers.0.self_attn.q_proj.weight";
        using var model = Open(Fp4);
        var (tensor, source) = Source(model, weight);
        var packed = tensor.Weight.File.ReadAll(tensor.Weight.Info);
        var code8 = packed.Count(b => b >> 4 == 8) + packed.Count(b => (b & 0xF) == 8);
        Assert.True(code8 > 0);

        var f32 = new float[tensor.ElementCount];
        source.ReadRows(0, (int)source.RowCount, f32);
        Assert.Equal(code8, AssertSameAsBitsandbytes(Fp4, Reference(Fp4, weight + ".float32"), MemoryMarshal.AsBytes(f32.AsSpan()).ToArray(), sizeof(float)));
        var bf16 = new byte[tensor.ElementCount * 2];
        source.ReadRows(0, (int)source.RowCount, DType.BF16, bf16);
        Assert.Equal(code8, AssertSameAsBitsandbytes(Fp4, Reference(Fp4, weight), bf16, sizeof(ushort)));
    }

    [Fact]
    public void TheFixturesHaveRowsShorterThanABlock()
    {
        using var model = Open(Nf4);
        var shapes = ModelFixtures.QuantizedWeights.Select(w => Source(model, w).Tensor).Where(t => t.Shape[1] < t.Blocksize).ToList();
        Assert.Equal(12, shapes.Count);
    }

    private static HfModel Open(string folder) => HfModel.Open(ModelLocation.ForExistingPath(Fixtures.Path(folder)));

    private static (Bnb4BitTensor Tensor, Bnb4BitRowSource Source) Source(HfModel model, string weight)
    {
        Assert.True(model.TryGetTensor(weight, out var found), weight);
        var tensor = Assert.IsType<Bnb4BitTensor>(found);
        return (tensor, Assert.IsType<Bnb4BitRowSource>(TensorRowSources.For(tensor)));
    }

    /// <summary>The maxima as Thaw computes them: the stored float32 ones, or rebuilt from double quantization.</summary>
    private static float[] Absmax(Bnb4BitTensor tensor)
    {
        var stored = tensor.Absmax.File.ReadAll(tensor.Absmax.Info);
        if (tensor.QuantState.Nested is not { } nested)
            return MemoryMarshal.Cast<byte, float>(stored).ToArray();
        var map = MemoryMarshal.Cast<byte, float>(tensor.NestedQuantMap!.File.ReadAll(tensor.NestedQuantMap.Info));
        var nestedAbsmax = MemoryMarshal.Cast<byte, float>(tensor.NestedAbsmax!.File.ReadAll(tensor.NestedAbsmax.Info));
        var absmax = new float[stored.Length];
        BnbDoubleQuant.DequantizeAbsmax(stored, 0, map, nestedAbsmax, nested.Blocksize, nested.Offset, absmax);
        return absmax;
    }

    private static byte[] Reference(string folder, string tensor)
    {
        using var file = SafetensorsFile.Open(Fixtures.Path(folder + ".dequant-reference.safetensors"));
        Assert.True(file.TryGetTensor(tensor, out var info), tensor);
        return file.ReadAll(info);
    }

    /// <summary>
    /// Equal bytes; for FP4 a value may be -0.0 where bitsandbytes' reference has +0.0, nothing else. Returns how
    /// many such zeros there were.
    /// </summary>
    private static int AssertSameAsBitsandbytes(string folder, byte[] expected, byte[] actual, int size)
    {
        Assert.Equal(expected.Length, actual.Length);
        var signOfZero = 0;
        for (var i = 0; i < expected.Length; i += size)
        {
            var e = size == 4 ? BitConverter.ToUInt32(expected, i) : BitConverter.ToUInt16(expected, i);
            var a = size == 4 ? BitConverter.ToUInt32(actual, i) : BitConverter.ToUInt16(actual, i);
            var negativeZero = size == 4 ? 0x8000_0000u : 0x8000u;
            if (folder == Fp4 && e == 0 && a == negativeZero)
                signOfZero++;
            else if (e != a)
                Assert.Fail($"element {i / size} is 0x{a:X}, bitsandbytes gives 0x{e:X}");
        }
        if (folder == Nf4)
            Assert.Equal(0, signOfZero);
        return signOfZero;
    }
}
