using System.Buffers.Binary;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Pipeline;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// thaw dequantize on the 4-bit fixtures against bitsandbytes' own dequantization of them
/// (A2-*.dequant-reference.safetensors: <c>&lt;module&gt;.weight</c> BF16 and <c>&lt;module&gt;.weight.float32</c> F32).
/// </summary>
public sealed class DequantizeBnbTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("A2-llama-nf4-dq", null)]
    [InlineData("A2-llama-nf4-dq", DType.BF16)]
    [InlineData("A2-llama-fp4", DType.BF16)]
    public void Bf16OutputIsBitsandbytesOutputAndEveryOtherTensorIsCopied(string model, DType? dtype)
    {
        var output = _temp.File("out");
        PipelineRuns.Dequantize(Fixtures.Path(model), output, dtype, new PipelineOptions { MaxMemory = 16 << 10, Threads = 3 });

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        using var reference = SafetensorsFile.Open(Fixtures.Path($"{model}.dequant-reference.safetensors"));
        using var input = SafetensorsFile.Open(Fixtures.Path($"{model}/model.safetensors"));
        using var plain = SafetensorsFile.Open(Fixtures.Path("A1-llama-bf16/model.safetensors"));

        // Same tensors as the unquantized model, all BF16 with its shapes.
        Assert.Equal(plain.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Order(), result.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)).Order());
        var weights = ReferenceWeights(reference);
        Assert.Equal(14, weights.Count);
        foreach (var tensor in result.Tensors)
        {
            if (weights.Contains(tensor.Name))
                AssertSameFloats(reference.ReadAll(reference.Tensors.Single(t => t.Name == tensor.Name)), result.ReadAll(tensor), 2, IsFp4(model), tensor.Name);
            else
                Assert.True(input.ReadAll(input.Tensors.Single(t => t.Name == tensor.Name)).AsSpan().SequenceEqual(result.ReadAll(tensor)), tensor.Name);
        }
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("A1-llama-bf16/config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path($"{model}/tokenizer_config.json")), File.ReadAllBytes(Path.Combine(output, "tokenizer_config.json")));
    }

    [Theory]
    [InlineData("A2-llama-nf4-dq")]
    [InlineData("A2-llama-fp4")]
    public void F32OutputIsBitsandbytesFloat32Output(string model)
    {
        var output = _temp.File("out");
        PipelineRuns.Dequantize(Fixtures.Path(model), output, DType.F32);

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        using var reference = SafetensorsFile.Open(Fixtures.Path($"{model}.dequant-reference.safetensors"));
        using var input = SafetensorsFile.Open(Fixtures.Path($"{model}/model.safetensors"));
        var weights = ReferenceWeights(reference);
        Assert.Equal(21, result.Tensors.Count);
        foreach (var tensor in result.Tensors)
        {
            Assert.Equal(DType.F32, tensor.DType);
            var actual = result.ReadAll(tensor);
            if (weights.Contains(tensor.Name))
            {
                var expected = reference.ReadAll(reference.Tensors.Single(t => t.Name == tensor.Name + ".float32"));
                AssertSameFloats(expected, actual, 4, IsFp4(model), tensor.Name);
            }
            else
            {
                // Unquantized BF16 tensors widen exactly: the bf16 bits become the top half.
                var bf16 = input.ReadAll(input.Tensors.Single(t => t.Name == tensor.Name));
                var widened = new byte[2 * bf16.Length];
                for (var i = 0; i < bf16.Length / 2; i++)
                    BinaryPrimitives.WriteUInt32LittleEndian(widened.AsSpan(4 * i), (uint)BinaryPrimitives.ReadUInt16LittleEndian(bf16.AsSpan(2 * i)) << 16);
                Assert.True(widened.AsSpan().SequenceEqual(actual), tensor.Name);
            }
        }
    }

    [Fact]
    public void ShardedOutputOfAQuantizedModelMatchesTheTransformersShards()
    {
        // The dequantized NF4 model has the plain model's tensors and sizes, so at 40KB it shards exactly as A1 did.
        var output = _temp.File("out");
        PipelineRuns.Dequantize(Fixtures.Path("A2-llama-nf4-dq"), output, DType.BF16, new PipelineOptions { MaxShardSize = 40_000 });
        Assert.Equal(
            File.ReadAllBytes(Fixtures.Path("A1-llama-bf16-sharded/model.safetensors.index.json")),
            File.ReadAllBytes(Path.Combine(output, SafetensorsIndex.FileName)));
    }

    private static HashSet<string> ReferenceWeights(SafetensorsFile reference) =>
        reference.Tensors.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

    private static bool IsFp4(string model) => model.Contains("fp4", StringComparison.Ordinal);

    // Bit-exact, except that FP4 zeros are compared by value: the reference's pure-torch FP4 table has +0.0 where the
    // CUDA kernel (and Thaw) give -0.0 (MANIFEST, A2).
    private static void AssertSameFloats(byte[] expected, byte[] actual, int elementSize, bool zerosByValue, string tensor)
    {
        Assert.Equal(expected.Length, actual.Length);
        var magnitude = elementSize == 4 ? 0x7FFF_FFFFu : 0x7FFFu;
        for (var i = 0; i < expected.Length; i += elementSize)
        {
            var e = elementSize == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(expected.AsSpan(i)) : BinaryPrimitives.ReadUInt16LittleEndian(expected.AsSpan(i));
            var a = elementSize == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(actual.AsSpan(i)) : BinaryPrimitives.ReadUInt16LittleEndian(actual.AsSpan(i));
            if (e != a && !(zerosByValue && (e & magnitude) == 0 && (a & magnitude) == 0))
                Assert.Fail($"{tensor}: element {i / elementSize} is {a:X}, bitsandbytes gives {e:X}");
        }
    }
}
