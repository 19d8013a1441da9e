using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Models;

namespace Thaw.Tests.Quantization;

public partial class BnbQuantStateTests
{
    private const string Nf4Key = "model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__nf4";
    private const string Fp4Key = "model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__fp4";

    private static BnbQuantState Parse(string json, string key = Nf4Key) =>
        BnbQuantState.Parse(Encoding.UTF8.GetBytes(json), key, "model.safetensors");

    [GeneratedRegex("\"nested_offset\": ([0-9eE.+-]+)")]
    private static partial Regex OffsetText();

    public static TheoryData<string, bool> Fixtures => new() { { ModelFixtures.A2Nf4, true }, { ModelFixtures.A2Fp4, false } };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryQuantStateOfTheA2FixturesParses(string folder, bool nf4DoubleQuant)
    {
        using var quantized = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        using var original = SafetensorsFile.Open(Path.Combine(ModelFixtures.A1, "model.safetensors"));
        var states = quantized.Tensors.Where(t => t.Name.Contains(".quant_state.", StringComparison.Ordinal)).ToList();
        Assert.Equal(14, states.Count);
        foreach (var info in states)
        {
            var bytes = quantized.ReadAll(info);
            var state = BnbQuantState.Parse(bytes, info.Name, quantized.Path);

            Assert.True(BnbQuantState.TryParseKey(info.Name, out var weightName, out var keyType));
            Assert.Equal(nf4DoubleQuant ? BnbQuantType.Nf4 : BnbQuantType.Fp4, keyType);
            Assert.Equal(keyType, state.QuantType);
            Assert.Equal(64, state.Blocksize);
            Assert.Equal(DType.BF16, state.DType);
            // The shape bitsandbytes recorded is the shape of the bf16 weight transformers quantized (A1).
            Assert.True(original.TryGetTensor(weightName, out var originalWeight));
            Assert.Equal(originalWeight.Shape.ToArray(), state.Shape!.Value.ToArray());
            Assert.Equal(originalWeight.ElementCount, state.ElementCount);

            Assert.Equal(nf4DoubleQuant, state.IsDoubleQuant);
            if (nf4DoubleQuant)
            {
                Assert.Equal(256, state.Nested!.Blocksize);
                Assert.Equal(DType.F32, state.Nested.DType);
                // Python wrote the float32 offset as the repr of a double: the float32 holds that value exactly.
                var text = OffsetText().Match(Encoding.UTF8.GetString(bytes)).Groups[1].Value;
                Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), (double)state.Nested.Offset);
            }
        }
    }

    [Fact]
    public void ParsesTheDocumentedExample()
    {
        var state = Parse("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [4096, 11008], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.03632286190986633}""");
        Assert.Equal(BnbQuantType.Nf4, state.QuantType);
        Assert.Equal([4096L, 11008L], state.Shape!.Value.ToArray());
        Assert.Equal(4096L * 11008, state.ElementCount);
        Assert.Equal(0.03632286190986633f, state.Nested!.Offset);
    }

    [Fact]
    public void NestedOffsetIsRoundedFromDoubleNotFromDecimal()
    {
        // The decimal lies just above the midpoint between 1 and the next float32, but its nearest double IS the
        // midpoint, which then rounds to even (1.0). Rounding the decimal straight to float32 would give 1 + 2^-23.
        var state = Parse("""{"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": [2], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 1.0000000596046447753906251}""");
        Assert.Equal(1.0f, state.Nested!.Offset);
        Assert.Equal(1.0000001f, float.Parse("1.0000000596046447753906251", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(4096)]
    public void AcceptsEveryBlocksizeFrom32To4096(int blocksize) =>
        Assert.Equal(blocksize, Parse($$"""{"quant_type": "fp4", "blocksize": {{blocksize}}, "dtype": "float32", "shape": [3, 5]}""", Fp4Key).Blocksize);

    [Fact]
    public void ShapeMayBeNullOrScalar()
    {
        Assert.Null(Parse("""{"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": null}""").Shape);
        Assert.Equal(1, Parse("""{"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": []}""").ElementCount);
    }

    [Theory]
    [InlineData("not json", BnbError.BadJson)]
    [InlineData("", BnbError.BadJson)]
    [InlineData("[1]", BnbError.BadJson)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16"}""", BnbError.MissingKey)]
    [InlineData("""{"blocksize": 64, "dtype": "bfloat16", "shape": [2]}""", BnbError.MissingKey)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "nested_blocksize": 256}""", BnbError.MissingKey)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "absmax": [1.0]}""", BnbError.UnknownKey)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "blocksize": 64, "dtype": "bfloat16", "shape": [2]}""", BnbError.DuplicateKey)]
    [InlineData("""{"quant_type": "int4", "blocksize": 64, "dtype": "bfloat16", "shape": [2]}""", BnbError.BadQuantType)]
    [InlineData("""{"quant_type": 4, "blocksize": 64, "dtype": "bfloat16", "shape": [2]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "fp4", "blocksize": 64, "dtype": "bfloat16", "shape": [2]}""", BnbError.QuantTypeMismatch)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 48, "dtype": "bfloat16", "shape": [2]}""", BnbError.BadBlocksize)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 16, "dtype": "bfloat16", "shape": [2]}""", BnbError.BadBlocksize)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 8192, "dtype": "bfloat16", "shape": [2]}""", BnbError.BadBlocksize)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64.0, "dtype": "bfloat16", "shape": [2]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": "64", "dtype": "bfloat16", "shape": [2]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "torch.bfloat16", "shape": [2]}""", BnbError.BadDType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "int8", "shape": [2]}""", BnbError.BadDType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": null, "shape": [2]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": "2"}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2.5]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [[2]]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [-1, 2]}""", BnbError.BadShape)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [4294967296, 4294967296]}""", BnbError.BadShape)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [1e3]}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "nested_blocksize": 100, "nested_dtype": "float32", "nested_offset": 0.5}""", BnbError.BadBlocksize)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "nested_blocksize": 256, "nested_dtype": "uint8", "nested_offset": 0.5}""", BnbError.BadDType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": "0.5"}""", BnbError.WrongType)]
    [InlineData("""{"quant_type": "nf4", "blocksize": 64, "dtype": "bfloat16", "shape": [2], "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 1e39}""", BnbError.BadNestedOffset)]
    public void RejectsBadQuantStates(string json, BnbError reason)
    {
        var e = Assert.Throws<BnbFormatException>(() => Parse(json));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(Nf4Key, e.TensorName);
        Assert.Equal("model.safetensors", e.FilePath);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RejectsInvalidUtf8()
    {
        byte[] inValue = [.. "{\"quant_type\": \"nf"u8, 0xff, .. "\", \"blocksize\": 64, \"dtype\": \"float16\", \"shape\": [2]}"u8];
        byte[] inKey = [.. "{\"quant"u8, 0xff, .. "\": \"nf4\"}"u8];
        foreach (var json in new[] { inValue, inKey })
            Assert.Equal(BnbError.BadJson, Assert.Throws<BnbFormatException>(() => BnbQuantState.Parse(json, Nf4Key)).Reason);
    }

    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__int4")]
    [InlineData("model.layers.0.self_attn.q_proj.weight.quant_state")]
    [InlineData("model.layers.0.self_attn.q_proj.weight")]
    [InlineData(".quant_state.bitsandbytes__nf4")]
    public void RejectsNamesThatAreNotQuantStateKeys(string name)
    {
        Assert.False(BnbQuantState.TryParseKey(name, out _, out _));
        var e = Assert.Throws<BnbFormatException>(() => BnbQuantState.Parse("{}"u8, name));
        Assert.Equal(BnbError.BadKeyName, e.Reason);
    }

    [Fact]
    public void RejectsOversizedQuantState()
    {
        var json = new byte[BnbQuantState.MaxJsonBytes + 1];
        Assert.Equal(BnbError.BadQuantStateTensor, Assert.Throws<BnbFormatException>(() => BnbQuantState.Parse(json, Nf4Key)).Reason);
    }
}
