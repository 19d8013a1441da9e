using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Quantization.Quantizer;

public class BnbModuleSelectionTests
{
    [Fact]
    public void OnlyTwoDimensionalLinearWeightsAreChosen()
    {
        using var temp = new TempFolder();
        List<Tensor> tensors =
        [
            .. QuantizerModels.Llama(),
            T("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, 4),
            T("model.embed_positions.weight", DType.BF16, 32, 8),
            T("model.layers.0.mlp.experts.gate_up_proj", DType.BF16, 2, 8, 16),
            T("model.layers.0.mlp.experts.weight", DType.BF16, 2, 8, 16),
        ];
        var selection = Select(temp, tensors, []);
        Assert.Equal(["model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.q_proj.weight"], selection.QuantizedWeights);
        Assert.Empty(selection.SkippedModules);
        Assert.Null(selection.WrittenSkipModules);
    }

    [Theory]
    [InlineData("lm_head", new string[0], new[] { "lm_head" })]
    [InlineData("down_proj", new[] { "model.layers.0.mlp.down_proj" }, new[] { "lm_head", "model.layers.0.mlp.down_proj" })]
    [InlineData("model.layers.0.mlp", new[] { "model.layers.0.mlp.down_proj", "model.layers.0.mlp.up_proj" }, new[] { "lm_head", "model.layers.0.mlp.down_proj", "model.layers.0.mlp.up_proj" })]
    [InlineData("self_attn.q_proj.", new[] { "model.layers.0.self_attn.q_proj" }, new[] { "lm_head", "model.layers.0.self_attn.q_proj" })]
    public void SkipNamesMatchWholeSegments(string skip, string[] skipped, string[] written)
    {
        using var temp = new TempFolder();
        var selection = Select(temp, QuantizerModels.Llama(), [skip]);
        Assert.Equal(skipped, selection.SkippedModules);
        Assert.Equal(written, selection.WrittenSkipModules);
        Assert.DoesNotContain(selection.QuantizedWeights, w => skipped.Contains(BnbModuleSelection.ModuleOf(w)));
    }

    [Fact]
    public void ATiedModelNamesItsLmHeadWhenSkipping()
    {
        using var temp = new TempFolder();
        var config = QuantizerModels.LlamaConfig.Replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true", StringComparison.Ordinal);
        var tensors = QuantizerModels.Llama().Where(t => t.Name != "lm_head.weight");
        var selection = Select(temp, tensors, ["up_proj"], config);
        Assert.Equal(["lm_head", "model.layers.0.mlp.up_proj"], selection.WrittenSkipModules);
    }

    private static BnbModuleSelection Select(TempFolder temp, IEnumerable<Tensor> tensors, string[] skip, string config = QuantizerModels.LlamaConfig)
    {
        using var model = HfModel.Open(ModelLocation.ForExistingPath(QuantizerModels.Folder(temp, tensors, config)));
        return BnbModuleSelection.Select(model, skip);
    }
}
