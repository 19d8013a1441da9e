using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Tests.Models;

public class HfModelFixtureTests
{
    private static HfModel Open(string folder) => HfModel.Open(ModelLocation.ForExistingPath(folder));

    [Fact]
    public void A1SingleFileHas21PlainBf16Tensors()
    {
        using var model = Open(ModelFixtures.A1);
        var expected = FixtureInventory.Tensors("A1-llama-bf16/model.safetensors");
        Assert.Equal(21, model.Tensors.Count);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), model.Tensors.Select(t => t.Name));
        foreach (var tensor in model.Tensors)
        {
            var plain = Assert.IsType<PlainTensor>(tensor);
            Assert.Equal(DType.BF16, plain.DType);
            Assert.Equal(expected[tensor.Name].Shape, tensor.Shape.ToArray());
            Assert.Equal("model.safetensors", Path.GetFileName(plain.Stored.FilePath));
        }
        Assert.Equal(ModelFixtures.A1ParameterCount, model.ParameterCount);
        Assert.Single(model.Files);
        Assert.Null(model.IndexPath);
        Assert.Equal("llama", model.Config!.ModelType);
        Assert.Null(model.Quantization);
        Assert.Null(model.TiedEmbedding); // tie_word_embeddings is false and lm_head.weight is stored
    }

    [Fact]
    public void A1ShardedHasTheSameTensorsEachInTheShardTheIndexNames()
    {
        using var single = Open(ModelFixtures.A1);
        using var sharded = Open(ModelFixtures.A1Sharded);
        var indexPath = Path.Combine(ModelFixtures.A1Sharded, "model.safetensors.index.json");
        var weightMap = FixtureInventory.WeightMap(indexPath);

        Assert.Equal(indexPath, sharded.IndexPath);
        Assert.Equal(4, sharded.Files.Count);
        Assert.Equal(single.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)), sharded.Tensors.Select(t => (t.Name, t.DType, t.ShapeText)));
        Assert.Equal(weightMap.Count, sharded.StoredTensors.Count);
        foreach (var stored in sharded.StoredTensors)
            Assert.Equal(weightMap[stored.Name], Path.GetFileName(stored.FilePath));
        Assert.Equal("model-00003-of-00004.safetensors", Path.GetFileName(((PlainTensor)TensorNamed(sharded, "lm_head.weight")).Stored.FilePath));
        Assert.Equal(ModelFixtures.A1ParameterCount, sharded.ParameterCount);
    }

    public static TheoryData<string, BnbQuantType, bool, int> QuantizedFolders => new()
    {
        { ModelFixtures.A2Nf4, BnbQuantType.Nf4, true, 91 },
        { ModelFixtures.A2Fp4, BnbQuantType.Fp4, false, 63 },
    };

    [Theory]
    [MemberData(nameof(QuantizedFolders))]
    public void A2FoldersHave14FourBitTensorsWithA1Shapes(string folder, BnbQuantType type, bool doubleQuant, int storedCount)
    {
        using var model = Open(folder);
        var original = FixtureInventory.Tensors("A1-llama-bf16/model.safetensors");

        Assert.Equal(storedCount, model.StoredTensors.Count);
        Assert.Equal(21, model.Tensors.Count);
        var fourBit = model.Tensors.OfType<Bnb4BitTensor>().ToList();
        Assert.Equal(ModelFixtures.QuantizedWeights.Order(StringComparer.Ordinal), fourBit.Select(t => t.Name));
        foreach (var t in fourBit)
        {
            Assert.Equal(ModelTensorKind.Bnb4Bit, t.Kind);
            Assert.Equal(original[t.Name].Shape, t.Shape.ToArray());
            Assert.Equal(type, t.QuantType);
            Assert.Equal(64, t.Blocksize);
            Assert.Equal(doubleQuant, t.IsDoubleQuant);
            Assert.Equal(DType.U8, t.StorageDType);
            Assert.Equal(DType.BF16, t.DType);
            Assert.Equal(doubleQuant ? 6 : 4, t.StoredParts.Count);
            Assert.Equal(t.Name, t.Weight.Name);
            Assert.Equal(t.Name + ".absmax", t.Absmax.Name);
            Assert.Equal(doubleQuant ? DType.U8 : DType.F32, t.Absmax.Info.DType);
            Assert.Equal(doubleQuant, t.NestedAbsmax is not null);
        }
        // Embedding, lm_head and the norms stay bf16.
        Assert.All(model.Tensors.OfType<PlainTensor>(), t => Assert.Equal(DType.BF16, t.DType));
        Assert.Equal(7, model.Tensors.OfType<PlainTensor>().Count());
        Assert.Equal(ModelFixtures.A1ParameterCount, model.ParameterCount);
        Assert.Equal(type, model.Quantization!.Bitsandbytes!.QuantType);
    }

    [Fact]
    public void EveryStoredTensorBelongsToExactlyOneLogicalTensor()
    {
        using var model = Open(ModelFixtures.A2Nf4);
        var parts = model.Tensors.SelectMany(t => t.StoredParts).Select(p => p.Name).ToList();
        Assert.Equal(model.StoredTensors.Select(t => t.Name).Order(StringComparer.Ordinal), parts.Order(StringComparer.Ordinal));
        Assert.Equal(model.StoredTensors.Sum(t => t.Info.ByteLength), model.Tensors.Sum(t => t.StoredByteLength));
    }

    [Fact]
    public void BareFileHasNoConfig()
    {
        using var model = Open(Path.Combine(ModelFixtures.A2Fp4, "model.safetensors"));
        Assert.Equal(ModelLocationKind.File, model.Location.Kind);
        Assert.Null(model.Config);
        Assert.Equal(14, model.Tensors.OfType<Bnb4BitTensor>().Count());
        Assert.Equal(ModelFixtures.A1ParameterCount, model.ParameterCount);
    }

    [Fact]
    public void TryGetTensorFindsLogicalTensors()
    {
        using var model = Open(ModelFixtures.A2Nf4);
        Assert.True(model.TryGetTensor("model.layers.1.mlp.down_proj.weight", out var down));
        Assert.Equal("[32, 128]", down.ShapeText);
        Assert.False(model.TryGetTensor("model.layers.1.mlp.down_proj.weight.absmax", out _));
    }

    private static ModelTensor TensorNamed(HfModel model, string name) =>
        model.TryGetTensor(name, out var t) ? t : throw new KeyNotFoundException(name);
}
