using System.Runtime.InteropServices;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Tests.Gguf;

/// <summary>
/// Our row codecs against the tensors llama.cpp's converter wrote: the f32 file's tensors encoded as q8_0 and bf16
/// must be byte-identical to the q8_0 and bf16 files' tensors.
/// </summary>
public sealed class GgmlQuantFixtureTests
{
    [Theory]
    [InlineData("A6-llama-q8_0.gguf", GgmlType.Q8_0)]
    [InlineData("A6-llama-bf16.gguf", GgmlType.BF16)]
    public void EncodingTheF32TensorsGivesTheConvertersBytes(string fixture, GgmlType type)
    {
        using var f32 = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        using var expected = GgufFile.Open(Fixtures.Path(fixture));
        var codec = GgmlRowCodecs.For(type);
        var encoded = 0;
        foreach (var source in f32.Tensors)
        {
            Assert.True(expected.TryGetTensor(source.Name, out var target));
            Assert.Equal(source.Dimensions.ToArray(), target.Dimensions.ToArray());
            if (target.Type == GgmlType.F32)
            {
                Assert.Single(source.Dimensions); // norms stay F32
                continue;
            }
            Assert.Equal(type, target.Type);
            var rowFloats = new float[source.RowLength];
            var actual = new byte[target.RowByteLength];
            var reference = new byte[target.RowByteLength];
            for (long r = 0; r < source.RowCount; r++)
            {
                f32.ReadBytes(source, r * source.RowByteLength, MemoryMarshal.AsBytes(rowFloats.AsSpan()));
                codec.Quantize(rowFloats, actual);
                expected.ReadBytes(target, r * target.RowByteLength, reference);
                if (!actual.AsSpan().SequenceEqual(reference))
                    Assert.Fail($"{source.Name} row {r}: {Convert.ToHexString(actual)} != {Convert.ToHexString(reference)}");
            }
            encoded++;
        }
        Assert.Equal(16, encoded); // token_embd, output and 7 matrices in each of 2 layers
    }

    [Fact]
    public void DequantizedQ8_0IsWithinHalfAStepOfTheF32Weights()
    {
        using var f32 = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        using var q8 = GgufFile.Open(Fixtures.Path("A6-llama-q8_0.gguf"));
        var codec = GgmlRowCodecs.For(GgmlType.Q8_0);
        Assert.True(f32.TryGetTensor("blk.1.ffn_down.weight", out var source));
        Assert.True(q8.TryGetTensor("blk.1.ffn_down.weight", out var target));
        var original = new float[source.ElementCount];
        f32.ReadBytes(source, 0, MemoryMarshal.AsBytes(original.AsSpan()));
        var blocks = new byte[target.ByteLength];
        q8.ReadBytes(target, 0, blocks);
        var decoded = new float[original.Length];
        codec.Dequantize(blocks, decoded);
        for (var b = 0; b < original.Length / 32; b++)
        {
            var amax = original.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs);
            for (var j = b * 32; j < b * 32 + 32; j++)
                // Half a step of amax / 127, plus up to 127 times the fp16 rounding of d (2^-11 relative).
                Assert.True(MathF.Abs(original[j] - decoded[j]) <= amax * (0.5f / 127 + 1f / 2048) * 1.01f, $"element {j}");
        }
    }

    [Theory]
    [InlineData("A6-llama-q8_0.gguf")]
    [InlineData("A6-llama-bf16.gguf")]
    public void WholeFileFromTheF32WeightsEqualsTheConvertersFile(string fixture)
    {
        // The target's metadata and tensor list, and every tensor's data encoded by WriteRows from the f32 file's
        // weights: the result must be the converter's file, byte for byte.
        using var folder = new TempFolder();
        var output = folder.File(fixture);
        using (var f32 = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf")))
        using (var target = GgufFile.Open(Fixtures.Path(fixture)))
        {
            using var writer = GgufWriter.Create(output, target.Metadata, target.Tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, t.Type)));
            Parallel.ForEach(f32.Tensors, source =>
            {
                var values = new float[source.ElementCount];
                f32.ReadBytes(source, 0, MemoryMarshal.AsBytes(values.AsSpan()));
                // Two chunks of rows, the second first.
                var half = source.RowCount / 2 * source.RowLength;
                writer.WriteRows(source.Name, source.RowCount / 2, values.AsSpan((int)half));
                writer.WriteRows(source.Name, 0, values.AsSpan(0, (int)half));
            });
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(Fixtures.Path(fixture)), File.ReadAllBytes(output));
    }

    [Theory]
    [InlineData("A6-llama-bf16.gguf", 0f)]
    [InlineData("A6-llama-q8_0.gguf", 0.01f)]
    public void ReadRowsDecodesToTheF32Weights(string fixture, float tolerance)
    {
        // The bf16 file decodes exactly (the weights came from bf16); q8_0 within its step.
        using var f32 = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        using var file = GgufFile.Open(Fixtures.Path(fixture));
        foreach (var tensor in file.Tensors)
        {
            Assert.True(f32.TryGetTensor(tensor.Name, out var source));
            var expected = new float[source.ElementCount];
            f32.ReadBytes(source, 0, MemoryMarshal.AsBytes(expected.AsSpan()));
            var actual = new float[tensor.ElementCount];
            var half = tensor.RowCount / 2;
            file.ReadRows(tensor, 0, actual.AsSpan(0, (int)(half * tensor.RowLength)));
            file.ReadRows(tensor, half, actual.AsSpan((int)(half * tensor.RowLength)));
            for (var i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{tensor.Name}[{i}]: {expected[i]} vs {actual[i]}");
        }
        Assert.True(file.TryGetTensor("output_norm.weight", out var norm));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadRows(norm, 1, new float[32]));
        Assert.Throws<ArgumentException>(() => file.ReadRows(norm, 0, new float[31]));
    }
}
