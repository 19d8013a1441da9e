using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Safetensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Models;

public sealed class HfModelRejectionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private HfModel Open() => HfModel.Open(ModelLocation.ForExistingPath(_temp.Path));

    private ModelException OpenFails(ModelError reason)
    {
        var e = Assert.Throws<ModelException>(Open);
        Assert.Equal(reason, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private BnbFormatException OpenFailsBnb(BnbError reason)
    {
        var e = Assert.Throws<BnbFormatException>(Open);
        Assert.Equal(reason, e.Reason);
        return e;
    }

    private void CopySharded(params string[] skip)
    {
        foreach (var file in Directory.EnumerateFiles(ModelFixtures.A1Sharded))
        {
            if (!skip.Contains(Path.GetFileName(file)))
                File.Copy(file, _temp.File(Path.GetFileName(file)));
        }
    }

    private void WriteIndex(string weightMapJson) =>
        File.WriteAllText(_temp.File("model.safetensors.index.json"), $$"""{"metadata": {"total_size": 0}, "weight_map": {{weightMapJson}}}""");

    [Fact]
    public void MissingShardIsNamed()
    {
        CopySharded("model-00003-of-00004.safetensors");
        var e = OpenFails(ModelError.MissingShard);
        Assert.Contains("model-00003-of-00004.safetensors", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("model.safetensors.index.json", e.FilePath, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"metadata": {}}""")]
    [InlineData("""{"weight_map": {"a": "../outside.safetensors"}}""")]
    [InlineData("""{"weight_map": {"a": "/abs.safetensors"}}""")]
    [InlineData("""{"weight_map": {"a": 3}}""")]
    [InlineData("""{"weight_map": {}}""")]
    public void BadIndexIsRejected(string index)
    {
        File.WriteAllText(_temp.File("model.safetensors.index.json"), index);
        OpenFails(ModelError.BadIndex);
    }

    [Fact]
    public void TensorInTwoShardsIsRejected()
    {
        Write(_temp.File("model-00001-of-00002.safetensors"), T("a", DType.F32, 2), T("b", DType.F32, 2));
        Write(_temp.File("model-00002-of-00002.safetensors"), T("b", DType.F32, 2), T("c", DType.F32, 2));
        WriteIndex("""{"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}""");
        var e = OpenFails(ModelError.DuplicateTensor);
        Assert.Equal("b", e.TensorName);
    }

    [Fact]
    public void IndexedTensorMissingFromItsShardIsRejected()
    {
        Write(_temp.File("model-00001-of-00002.safetensors"), T("a", DType.F32, 2));
        Write(_temp.File("model-00002-of-00002.safetensors"), T("c", DType.F32, 2));
        WriteIndex("""{"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}""");
        var e = OpenFails(ModelError.MissingTensor);
        Assert.Equal("b", e.TensorName);
        Assert.EndsWith("model-00001-of-00002.safetensors", e.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexedTensorInAnotherShardIsRejected()
    {
        Write(_temp.File("model-00001-of-00002.safetensors"), T("a", DType.F32, 2));
        Write(_temp.File("model-00002-of-00002.safetensors"), T("c", DType.F32, 2));
        WriteIndex("""{"a": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}""");
        Assert.Equal("a", OpenFails(ModelError.MissingTensor).TensorName);
    }

    [Fact]
    public void FolderWithoutWeightsIsNotAModel()
    {
        File.WriteAllText(_temp.File("config.json"), """{"model_type": "llama"}""");
        Write(_temp.File("weights.safetensors"), T("a", DType.F32, 2));
        var e = OpenFails(ModelError.NotAModel);
        Assert.Contains("weights.safetensors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdapterFolderIsNotAModel()
    {
        var e = Assert.Throws<ModelException>(() => HfModel.Open(ModelLocation.ForExistingPath(SafetensorsTestFiles.Fixture("A3-llama-lora-r4"))));
        Assert.Equal(ModelError.NotAModel, e.Reason);
        Assert.Contains("adapter", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadConfigFailsTheModel()
    {
        Write(_temp.File("model.safetensors"), T("a", DType.F32, 2));
        File.WriteAllText(_temp.File("config.json"), "{ nope");
        Assert.EndsWith("config.json", OpenFails(ModelError.BadConfig).FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void TorchBinFoldersSingleAndSharded()
    {
        var torch = SafetensorsTestFiles.Fixture("torch");
        File.Copy(Path.Combine(torch, "pytorch_model.bin"), _temp.File("pytorch_model.bin"));
        using (var single = Open())
        {
            Assert.Equal(["0.bias", "0.weight", "1.bias", "1.weight"], single.Tensors.Select(t => t.Name));
            Assert.Equal(3 * 4 + 3 + 3 + 3, single.ParameterCount);
        }

        File.Move(_temp.File("pytorch_model.bin"), _temp.File("pytorch_model-00002-of-00002.bin"));
        File.Copy(Path.Combine(torch, "small.bin"), _temp.File("pytorch_model-00001-of-00002.bin"));
        File.WriteAllText(_temp.File("pytorch_model.bin.index.json"),
            """{"metadata": {}, "weight_map": {"f32": "pytorch_model-00001-of-00002.bin", "0.weight": "pytorch_model-00002-of-00002.bin"}}""");
        using var sharded = Open();
        Assert.Equal(2, sharded.Files.Count);
        Assert.True(sharded.TryGetTensor("f32", out _));
        Assert.True(sharded.TryGetTensor("1.bias", out var bias)); // not indexed, but in a shard: kept, as transformers does
        Assert.Equal("pytorch_model-00002-of-00002.bin", Path.GetFileName(((PlainTensor)bias).Stored.FilePath));
    }

    [Fact]
    public void SafetensorsIsPreferredOverBin()
    {
        Write(_temp.File("model.safetensors"), T("st", DType.F32, 2));
        File.Copy(SafetensorsTestFiles.Fixture("torch/pytorch_model.bin"), _temp.File("pytorch_model.bin"));
        using var model = Open();
        Assert.Equal(["st"], model.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void LlmInt8GroupIsOneLogicalTensor()
    {
        File.WriteAllText(_temp.File("config.json"), """{"model_type": "llama", "torch_dtype": "bfloat16", "quantization_config": {"load_in_8bit": true}}""");
        Write(_temp.File("model.safetensors"),
            T("m.q.weight", DType.I8, 3, 4), T("m.q.SCB", DType.F32, 3), T("m.q.weight_format", DType.U8),
            T("m.k.weight", DType.I8, 2, 4), T("m.k.SCB", DType.F32, 2),
            T("m.k.bias", DType.BF16, 2));
        using var model = Open();
        Assert.Equal(["m.k.bias", "m.k.weight", "m.q.weight"], model.Tensors.Select(t => t.Name));
        var q = Assert.IsType<BnbInt8Tensor>(model.Tensors[2]);
        Assert.Equal(ModelTensorKind.BnbInt8, q.Kind);
        Assert.Equal("[3, 4]", q.ShapeText);
        Assert.Equal(DType.BF16, q.DType);
        Assert.NotNull(q.WeightFormat);
        Assert.Null(((BnbInt8Tensor)model.Tensors[1]).WeightFormat);
        Assert.Equal(12 + 8 + 2, model.ParameterCount);
        Assert.True(model.Quantization!.Bitsandbytes!.LoadIn8Bit);
    }

    [Fact]
    public void PlainInt8WithoutScbStaysPlain()
    {
        Write(_temp.File("model.safetensors"), T("codes.weight", DType.I8, 2, 2));
        using var model = Open();
        Assert.IsType<PlainTensor>(Assert.Single(model.Tensors));
    }

    [Fact]
    public void FourBitGroupMaySpanShards()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: true);
        Write(_temp.File("model-00001-of-00002.safetensors"), parts[..3]);
        Write(_temp.File("model-00002-of-00002.safetensors"), parts[3..]);
        WriteIndex("{" + string.Join(", ", parts.Select((p, i) => $"\"{p.Name}\": \"model-0000{(i < 3 ? 1 : 2)}-of-00002.safetensors\"")) + "}");
        using var model = Open();
        var t = Assert.IsType<Bnb4BitTensor>(Assert.Single(model.Tensors));
        Assert.Equal(128, t.ElementCount);
        Assert.Equal(DType.F16, t.DType);
        Assert.NotEqual(t.Weight.FilePath, t.QuantStateTensor.FilePath);
    }

    [Fact]
    public void OddElementCountPacksIntoCeilHalfBytes()
    {
        Write(_temp.File("model.safetensors"), FourBit("w.weight", 3, 5, doubleQuant: false));
        using var model = Open();
        Assert.Equal(15, Assert.Single(model.Tensors).ElementCount);
    }

    [Fact]
    public void OrphanAbsmaxIsRejected()
    {
        Write(_temp.File("model.safetensors"), T("m.w.weight", DType.U8, 64, 1), T("m.w.weight.absmax", DType.F32, 2));
        Assert.Equal("m.w.weight.absmax", OpenFailsBnb(BnbError.OrphanTensor).TensorName);
    }

    [Fact]
    public void QuantStateWithoutWeightIsRejected()
    {
        Write(_temp.File("model.safetensors"), FourBit("m.w.weight", 4, 32, doubleQuant: false)[1..]);
        Assert.Equal("m.w.weight", OpenFailsBnb(BnbError.MissingTensor).TensorName);
    }

    [Theory]
    [InlineData(".absmax")]
    [InlineData(".quant_map")]
    [InlineData(".nested_absmax")]
    [InlineData(".nested_quant_map")]
    public void MissingAuxiliaryTensorIsRejected(string suffix)
    {
        Write(_temp.File("model.safetensors"), [.. FourBit("m.w.weight", 4, 32, doubleQuant: true).Where(t => t.Name != "m.w.weight" + suffix)]);
        Assert.Equal("m.w.weight" + suffix, OpenFailsBnb(BnbError.MissingTensor).TensorName);
    }

    [Fact]
    public void AuxiliaryTensorOfTheWrongSizeIsRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: false);
        parts[1] = T("m.w.weight.absmax", DType.F32, 3); // 128 elements in blocks of 64 have 2 maxima
        Write(_temp.File("model.safetensors"), parts);
        Assert.Equal("m.w.weight.absmax", OpenFailsBnb(BnbError.BadTensorLayout).TensorName);
    }

    [Fact]
    public void PackedWeightOfTheWrongSizeIsRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: false);
        parts[0] = T("m.w.weight", DType.U8, 63, 1);
        Write(_temp.File("model.safetensors"), parts);
        OpenFailsBnb(BnbError.BadTensorLayout);
    }

    [Fact]
    public void NestedTensorsWithoutNestedKeysAreRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: true);
        parts[3] = Json("m.w.weight.quant_state.bitsandbytes__nf4", """{"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": [4, 32]}""");
        Write(_temp.File("model.safetensors"), parts);
        OpenFailsBnb(BnbError.BadTensorLayout);
    }

    [Fact]
    public void QuantStateWithNullShapeIsRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: false);
        parts[3] = Json("m.w.weight.quant_state.bitsandbytes__fp4", """{"quant_type": "fp4", "blocksize": 64, "dtype": "float16", "shape": null}""");
        Write(_temp.File("model.safetensors"), parts);
        OpenFailsBnb(BnbError.BadShape);
    }

    [Fact]
    public void QuantStateThatIsNotUint8IsRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: false);
        parts[3] = T("m.w.weight.quant_state.bitsandbytes__fp4", DType.F32, 4);
        Write(_temp.File("model.safetensors"), parts);
        OpenFailsBnb(BnbError.BadQuantStateTensor);
    }

    [Fact]
    public void TwoQuantStatesForOneWeightAreRejected()
    {
        var parts = FourBit("m.w.weight", 4, 32, doubleQuant: false);
        Write(_temp.File("model.safetensors"), [.. parts,
            Json("m.w.weight.quant_state.bitsandbytes__nf4", """{"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": [4, 32]}""")]);
        OpenFailsBnb(BnbError.BadTensorLayout);
    }

    [Fact]
    public void ScbWithoutWeightIsRejected()
    {
        Write(_temp.File("model.safetensors"), T("m.q.SCB", DType.F32, 3));
        OpenFailsBnb(BnbError.OrphanTensor);
    }

    [Fact]
    public void WeightFormatWithoutScbIsRejected()
    {
        Write(_temp.File("model.safetensors"), T("m.q.weight", DType.I8, 3, 4), T("m.q.weight_format", DType.U8));
        OpenFailsBnb(BnbError.OrphanTensor);
    }

    [Theory]
    [InlineData(DType.I8, 4, DType.F32)]  // SCB must have one value per row (3)
    [InlineData(DType.U8, 3, DType.F32)]  // weight must be int8
    [InlineData(DType.I8, 3, DType.F16)]  // SCB must be float32
    public void BadInt8LayoutIsRejected(DType weightType, long scbLength, DType scbType)
    {
        Write(_temp.File("model.safetensors"), T("m.q.weight", weightType, 3, 4), T("m.q.SCB", scbType, scbLength));
        OpenFailsBnb(BnbError.BadTensorLayout);
    }
}
