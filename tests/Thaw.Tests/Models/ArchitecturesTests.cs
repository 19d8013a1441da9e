using Thaw.Models;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Models;

public sealed class ArchitecturesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("gemma")]
    [InlineData("gemma2")]
    [InlineData("phi3")]
    public void DecodersUseEmbedTokensAndLmHeadWithLinearLayers(string modelType)
    {
        var info = Architectures.Find(modelType)!;
        Assert.Equal(new EmbeddingLayout("model.embed_tokens.weight", "lm_head.weight"), Assert.Single(info.EmbeddingLayouts));
        Assert.False(info.UsesConv1D);
        Assert.False(info.IsVisionLanguageModel);
        Assert.False(info.IsConv1DWeight("model.layers.0.mlp.down_proj.weight"));
    }

    [Theory]
    [InlineData("transformer.h.0.attn.c_attn.weight", true)]
    [InlineData("h.11.mlp.c_proj.weight", true)]
    [InlineData("transformer.h.3.mlp.c_fc.weight", true)]
    [InlineData("transformer.h.3.mlp.c_fc.bias", false)]
    [InlineData("transformer.wte.weight", false)]
    [InlineData("lm_head.weight", false)]
    [InlineData("transformer.h.0.ln_1.weight", false)]
    public void Gpt2LinearLayersAreConv1D(string tensor, bool conv1D)
    {
        var gpt2 = Architectures.Find("gpt2")!;
        Assert.True(gpt2.UsesConv1D);
        Assert.Equal(conv1D, gpt2.IsConv1DWeight(tensor));
    }

    [Theory]
    [InlineData("llava", "model.vision_tower.vision_model.embeddings.patch_embedding.weight", true)]
    [InlineData("llava", "multi_modal_projector.linear_1.weight", true)]
    [InlineData("llava", "model.language_model.layers.0.self_attn.q_proj.weight", false)]
    [InlineData("llava_next", "image_newline", true)]
    [InlineData("mllama", "model.vision_model.patch_embedding.weight", true)]
    [InlineData("qwen2_vl", "visual.blocks.0.attn.qkv.weight", true)]
    [InlineData("qwen2_vl", "model.layers.0.self_attn.q_proj.weight", false)]
    public void VisionLanguageModelsNameTheirVisionTensors(string modelType, string tensor, bool vision)
    {
        var info = Architectures.Find(modelType)!;
        Assert.True(info.IsVisionLanguageModel);
        Assert.Equal(vision, info.IsVisionTensor(tensor));
    }

    [Fact]
    public void UnknownModelTypeHasNoArchitecture()
    {
        Assert.Null(Architectures.Find("brand_new"));
        Assert.Null(Architectures.Find(null));
    }

    private HfModel OpenFolder(string config, params Tensor[] tensors)
    {
        File.WriteAllText(_temp.File("config.json"), config);
        Write(_temp.File("model.safetensors"), tensors);
        return HfModel.Open(ModelLocation.ForExistingPath(_temp.Path));
    }

    [Fact]
    public void TiedModelWithoutLmHeadIsReportedTied()
    {
        using var model = OpenFolder("""{"model_type": "gemma"}""", T("model.embed_tokens.weight", DType.BF16, 8, 4), T("model.norm.weight", DType.BF16, 4));
        Assert.Equal(new TiedEmbedding("lm_head.weight", "model.embed_tokens.weight"), model.TiedEmbedding);
    }

    [Fact]
    public void Gpt2CheckpointWithoutPrefixIsReportedTied()
    {
        using var model = OpenFolder("""{"model_type": "gpt2"}""", T("wte.weight", DType.F32, 8, 4), T("wpe.weight", DType.F32, 4, 4));
        Assert.Equal(new TiedEmbedding("lm_head.weight", "wte.weight"), model.TiedEmbedding);
    }

    [Fact]
    public void LegacyLlavaLayoutIsReportedTied()
    {
        using var model = OpenFolder("""{"model_type": "llava", "text_config": {"tie_word_embeddings": true}}""",
            T("language_model.model.embed_tokens.weight", DType.F16, 8, 4), T("vision_tower.x.weight", DType.F16, 2));
        Assert.Equal(new TiedEmbedding("language_model.lm_head.weight", "language_model.model.embed_tokens.weight"), model.TiedEmbedding);
    }

    [Fact]
    public void StoredLmHeadOrUntiedConfigIsNotTied()
    {
        using (var withHead = OpenFolder("""{"model_type": "gemma"}""", T("model.embed_tokens.weight", DType.BF16, 8, 4), T("lm_head.weight", DType.BF16, 8, 4)))
            Assert.Null(withHead.TiedEmbedding);
        File.Delete(_temp.File("model.safetensors"));
        using var untied = OpenFolder("""{"model_type": "llama"}""", T("model.embed_tokens.weight", DType.BF16, 8, 4));
        Assert.Null(untied.TiedEmbedding);
    }
}
