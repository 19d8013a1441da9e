using System.Text;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Models;

namespace Thaw.Tests.Quantization.Quantizer;

public class BnbCheckpointLayoutTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FourBitTensorsAreNamedAndShapedAsInTheFixture(bool doubleQuant)
    {
        using var fixtures = doubleQuant ? QuantizerFixtures.Nf4DoubleQuant() : QuantizerFixtures.Fp4();
        var type = doubleQuant ? BnbQuantType.Nf4 : BnbQuantType.Fp4;
        foreach (var name in ModelFixtures.QuantizedWeights)
        {
            var original = fixtures.Original.Tensors.Single(t => t.Name == name);
            var jsonLength = fixtures.Bytes(BnbCheckpointLayout.QuantStateName(name, type)).Length;
            var layout = BnbCheckpointLayout.FourBit(name, original.ElementCount, 64, type, doubleQuant, jsonLength);
            var expected = fixtures.Quantized.Tensors.Where(t => t.Name == name || t.Name.StartsWith(name + ".", StringComparison.Ordinal));
            Assert.Equal(expected.Select(t => (t.Name, t.DType, t.ShapeText, t.ByteLength)).Order(), layout.Select(t => (t.Name, t.DType, t.ShapeText, t.ByteLength)).Order());
        }
    }

    [Fact]
    public void FourBitOrderIsTheStateDictOrderOfQuantStateAsDict()
    {
        var layout = BnbCheckpointLayout.FourBit("m.weight", 1000, 64, BnbQuantType.Nf4, doubleQuant: true, quantStateLength: 170);
        Assert.Equal(["m.weight", "m.weight.absmax", "m.weight.quant_map", "m.weight.nested_absmax", "m.weight.nested_quant_map", "m.weight.quant_state.bitsandbytes__nf4"], layout.Select(t => t.Name));
        Assert.Equal([500, 1], layout[0].Shape.ToArray());
        Assert.Equal([16], layout[1].Shape.ToArray()); // ceil(1000 / 64)
        Assert.Equal(DType.U8, layout[1].DType);
        Assert.Equal([1], layout[3].Shape.ToArray());
        Assert.Equal([170], layout[5].Shape.ToArray());
    }

    [Fact]
    public void OddCountsAndManyBlocksRoundUp()
    {
        var layout = BnbCheckpointLayout.FourBit("w", 513, 32, BnbQuantType.Fp4, doubleQuant: true, quantStateLength: 1);
        Assert.Equal([257, 1], layout[0].Shape.ToArray());
        Assert.Equal([17], layout[1].Shape.ToArray());
        var many = BnbCheckpointLayout.FourBit("w", 64L * 600, 64, BnbQuantType.Nf4, doubleQuant: true, quantStateLength: 1);
        Assert.Equal([3], many[3].Shape.ToArray()); // 600 blocks in nested blocks of 256
    }

    [Fact]
    public void Int8TensorsSitNextToTheWeight()
    {
        var layout = BnbCheckpointLayout.Int8("model.layers.3.mlp.up_proj.weight", 11008, 4096);
        Assert.Equal(["model.layers.3.mlp.up_proj.weight", "model.layers.3.mlp.up_proj.SCB", "model.layers.3.mlp.up_proj.weight_format"], layout.Select(t => t.Name));
        Assert.Equal((DType.I8, "[11008, 4096]"), (layout[0].DType, layout[0].ShapeText));
        Assert.Equal((DType.F32, "[11008]"), (layout[1].DType, layout[1].ShapeText));
        Assert.Equal((DType.U8, "[]", 1L), (layout[2].DType, layout[2].ShapeText, layout[2].ByteLength));
    }

    [Fact]
    public void QuantStateJsonIsWhatJsonDumpsWrites()
    {
        var plain = new BnbQuantState(BnbQuantType.Fp4, 128, DType.F16, [4096, 11008], null);
        Assert.Equal("""{"quant_type": "fp4", "blocksize": 128, "dtype": "float16", "shape": [4096, 11008]}""", Encoding.UTF8.GetString(BnbQuantStateJson.Serialize(plain)));
        var noShape = new BnbQuantState(BnbQuantType.Nf4, 64, DType.F32, null, new BnbNestedQuantState(256, DType.F32, 1e-5f));
        var json = BnbQuantStateJson.Serialize(noShape);
        Assert.Equal("""{"quant_type": "nf4", "blocksize": 64, "dtype": "float32", "shape": null, "nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 9.999999747378752e-06}""", Encoding.UTF8.GetString(json));
        Assert.Equal(noShape with { Shape = null }, BnbQuantState.Parse(json, "w.quant_state.bitsandbytes__nf4"));
    }

    [Fact]
    public void QuantStateJsonParsesBackToTheSameState()
    {
        var state = new BnbQuantState(BnbQuantType.Nf4, 4096, DType.BF16, [3, 5, 7], new BnbNestedQuantState(256, DType.F32, 0.03632286190986633f));
        var parsed = BnbQuantState.Parse(BnbQuantStateJson.Serialize(state), "x.weight.quant_state.bitsandbytes__nf4");
        Assert.Equal(state.QuantType, parsed.QuantType);
        Assert.Equal(state.Blocksize, parsed.Blocksize);
        Assert.Equal(state.DType, parsed.DType);
        Assert.Equal(state.Shape!.Value.ToArray(), parsed.Shape!.Value.ToArray());
        Assert.Equal(state.Nested, parsed.Nested);
    }
}
