using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Tests.Models;

public class ModelConfigTests
{
    private static ModelConfig Parse(string json) => ModelConfig.Parse(json, "config.json");

    [Fact]
    public void A1ConfigValuesAreThoseInItsConfigJson()
    {
        var config = ModelConfig.Load(Path.Combine(ModelFixtures.A1, "config.json"));
        Assert.Equal("llama", config.ModelType);
        Assert.True(config.IsKnownModelType);
        Assert.Equal(["LlamaForCausalLM"], config.Architectures);
        Assert.Equal(32, config.HiddenSize);
        Assert.Equal(2, config.NumHiddenLayers);
        Assert.Equal(4, config.NumAttentionHeads);
        Assert.Equal(2, config.NumKeyValueHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(128, config.IntermediateSize);
        Assert.Equal(32000, config.VocabSize);
        Assert.Equal(256, config.MaxPositionEmbeddings);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal("bfloat16", config.TorchDTypeName);
        Assert.Equal(DType.BF16, config.TorchDType);
        Assert.Equal(1e-5, config.RmsNormEps);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.Null(config.Quantization);
        Assert.Null(config.TextConfig);
        Assert.False(config.IsVisionLanguageModel);
        Assert.Equal(32000, (int)config.Raw["vocab_size"]!);
    }

    [Fact]
    public void LlamaDefaultsApplyToAbsentKeys()
    {
        var c = Parse("""{"model_type": "llama"}""");
        Assert.Equal((4096, 32, 32, 32, 128, 11008, 32000, 2048), (c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings));
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal(1e-6, c.RmsNormEps);
        Assert.Equal(10000.0, c.RopeTheta);
        Assert.Null(c.TorchDType);
    }

    [Fact]
    public void MistralKeyValueHeadsDefaultToEightWhenAbsentButToHeadsWhenNull()
    {
        Assert.Equal(8, Parse("""{"model_type": "mistral", "num_attention_heads": 16}""").NumKeyValueHeads);
        Assert.Equal(16, Parse("""{"model_type": "mistral", "num_attention_heads": 16, "num_key_value_heads": null}""").NumKeyValueHeads);
        Assert.Equal(131072, Parse("""{"model_type": "mistral"}""").MaxPositionEmbeddings);
    }

    [Fact]
    public void Qwen3HeadDimDefaultsTo128()
    {
        var qwen3 = Parse("""{"model_type": "qwen3", "hidden_size": 1024, "num_attention_heads": 16}""");
        Assert.Equal(128, qwen3.HeadDim);
        var qwen2 = Parse("""{"model_type": "qwen2", "hidden_size": 1024, "num_attention_heads": 16}""");
        Assert.Equal(64, qwen2.HeadDim);
        Assert.Equal(32, qwen2.NumKeyValueHeads);
        Assert.Equal(151936, qwen2.VocabSize);
    }

    [Theory]
    [InlineData("llama", false)]
    [InlineData("mistral", false)]
    [InlineData("qwen2", false)]
    [InlineData("qwen3", false)]
    [InlineData("phi3", false)]
    [InlineData("gemma", true)]
    [InlineData("gemma2", true)]
    [InlineData("gpt2", true)]
    [InlineData("some_new_arch", true)] // PreTrainedConfig's own default
    public void TieWordEmbeddingsDefaultsPerArchitecture(string modelType, bool tied)
    {
        Assert.Equal(tied, Parse($$"""{"model_type": "{{modelType}}"}""").TieWordEmbeddings);
        Assert.Equal(!tied, Parse($$"""{"model_type": "{{modelType}}", "tie_word_embeddings": {{(!tied).ToString().ToLowerInvariant()}}}""").TieWordEmbeddings);
    }

    [Fact]
    public void GemmaDefaults()
    {
        var gemma = Parse("""{"model_type": "gemma"}""");
        Assert.Equal((3072, 16, 16, 256, 256000), (gemma.HiddenSize, gemma.NumAttentionHeads, gemma.NumKeyValueHeads, gemma.HeadDim, gemma.VocabSize));
        var gemma2 = Parse("""{"model_type": "gemma2"}""");
        Assert.Equal((2304, 8, 4, 256, 26), (gemma2.HiddenSize, gemma2.NumAttentionHeads, gemma2.NumKeyValueHeads, gemma2.HeadDim, gemma2.NumHiddenLayers));
    }

    [Fact]
    public void Phi3Defaults()
    {
        var c = Parse("""{"model_type": "phi3", "num_attention_heads": 24}""");
        Assert.Equal(24, c.NumKeyValueHeads);
        Assert.Equal(3072 / 24, c.HeadDim);
        Assert.Equal(32064, c.VocabSize);
        Assert.Equal(1e-5, c.RmsNormEps);
    }

    [Fact]
    public void Gpt2UsesItsOwnKeyNamesAndFourTimesNEmbdForTheMlp()
    {
        var c = Parse("""{"model_type": "gpt2"}""");
        Assert.Equal(768, c.HiddenSize);
        Assert.Equal(12, c.NumHiddenLayers);
        Assert.Equal(12, c.NumAttentionHeads);
        Assert.Equal(12, c.NumKeyValueHeads);
        Assert.Equal(64, c.HeadDim);
        Assert.Equal(3072, c.IntermediateSize);
        Assert.Equal(1024, c.MaxPositionEmbeddings);
        Assert.Equal(50257, c.VocabSize);
        Assert.True(c.TieWordEmbeddings);
        Assert.Null(c.RmsNormEps);
        Assert.Equal(1e-5, c.LayerNormEps);
        Assert.Null(c.RopeTheta);

        var small = Parse("""{"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4, "n_positions": 128, "n_inner": null}""");
        Assert.Equal((64, 3, 4, 16, 256, 128), (small.HiddenSize, small.NumHiddenLayers, small.NumAttentionHeads, small.HeadDim, small.IntermediateSize, small.MaxPositionEmbeddings));
        Assert.Equal(100, Parse("""{"model_type": "gpt2", "n_embd": 64, "n_inner": 100}""").IntermediateSize);
    }

    [Fact]
    public void DTypeIsReadFromDtypeOrTorchDtype()
    {
        Assert.Equal(DType.F16, Parse("""{"model_type": "llama", "torch_dtype": "float16"}""").TorchDType);
        Assert.Equal(DType.BF16, Parse("""{"model_type": "llama", "dtype": "bfloat16", "torch_dtype": "float16"}""").TorchDType);
        var auto = Parse("""{"model_type": "llama", "torch_dtype": "auto"}""");
        Assert.Equal("auto", auto.TorchDTypeName);
        Assert.Null(auto.TorchDType);
    }

    [Fact]
    public void RopeThetaComesFromRopeParametersRopeScalingOrTopLevel()
    {
        Assert.Equal(500000.0, Parse("""{"model_type": "llama", "rope_theta": 500000.0}""").RopeTheta);
        Assert.Equal(1e6, Parse("""{"model_type": "llama", "rope_theta": 5.0, "rope_parameters": {"rope_type": "default", "rope_theta": 1e6}}""").RopeTheta);
        Assert.Equal(2e6, Parse("""{"model_type": "phi3", "rope_scaling": {"rope_type": "longrope", "rope_theta": 2e6}}""").RopeTheta);
        Assert.Equal(7.0, Parse("""{"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8.0}, "rope_theta": 7.0}""").RopeTheta);
        Assert.Equal(3e5, Parse("""{"model_type": "x", "rope_parameters": {"full_attention": {"rope_theta": 3e5}, "sliding_attention": {"rope_theta": 1e4}}}""").RopeTheta);
    }

    [Fact]
    public void LlavaTextConfigDefaultsToLlama()
    {
        var c = Parse("""
            {"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
             "text_config": {"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2},
             "vision_config": {"hidden_size": 48, "num_attention_heads": 4}}
            """);
        Assert.True(c.IsVisionLanguageModel);
        Assert.True(c.IsKnownModelType);
        Assert.Equal("llama", c.TextConfig!.ModelType);
        Assert.Equal(64, c.HiddenSize);
        Assert.Equal(2, c.NumHiddenLayers);
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.Equal(11008, c.IntermediateSize); // llama's default
        Assert.Equal(32000, c.VocabSize);
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal("clip_vision_model", c.VisionConfig!.ModelType);
        Assert.Equal(48, c.VisionConfig.HiddenSize);
        Assert.Equal(["LlavaForConditionalGeneration"], c.Architectures);
    }

    [Fact]
    public void LlavaWithMistralTextConfigUsesMistralDefaultsAndForwardsTie()
    {
        var c = Parse("""{"model_type": "llava_next", "text_config": {"model_type": "mistral", "tie_word_embeddings": true}}""");
        Assert.Equal("mistral", c.TextConfig!.ModelType);
        Assert.Equal(8, c.NumKeyValueHeads);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(32000, Parse("""{"model_type": "llava"}""").VocabSize);
    }

    [Fact]
    public void MllamaTextConfigIsMllamaTextModel()
    {
        var c = Parse("""{"model_type": "mllama", "text_config": {"model_type": "llama", "hidden_size": 256, "num_attention_heads": 8}, "vision_config": {}}""");
        Assert.Equal("mllama_text_model", c.TextConfig!.ModelType);
        Assert.Equal(8, c.NumKeyValueHeads);
        Assert.Equal(32, c.HeadDim);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(128256, c.VocabSize);
        Assert.Equal("mllama_vision_model", c.VisionConfig!.ModelType);
        Assert.False(c.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen2VlTextFieldsAtTopLevelOrInTextConfig()
    {
        var v4 = Parse("""{"model_type": "qwen2_vl", "hidden_size": 1536, "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "vision_config": {"depth": 32}}""");
        Assert.Equal((1536, 12, 2, 128, 151936), (v4.HiddenSize, v4.NumAttentionHeads, v4.NumKeyValueHeads, v4.HeadDim, v4.VocabSize));
        Assert.True(v4.TieWordEmbeddings);
        Assert.Equal(DType.BF16, v4.TorchDType);
        Assert.Equal(1e6, v4.RopeTheta);
        Assert.Equal(80, v4.NumHiddenLayers); // qwen2_vl_text default

        var v5 = Parse("""{"model_type": "qwen2_vl", "dtype": "float16", "text_config": {"model_type": "qwen2_vl_text", "hidden_size": 3584, "num_attention_heads": 28, "num_key_value_heads": 4}}""");
        Assert.Equal((3584, 28, 4, 128), (v5.HiddenSize, v5.NumAttentionHeads, v5.NumKeyValueHeads, v5.HeadDim));
        Assert.Equal(DType.F16, v5.TorchDType);
        Assert.False(v5.TieWordEmbeddings);
        Assert.True(v5.IsVisionLanguageModel);
    }

    [Fact]
    public void UnknownModelTypeParsesCommonKeysWithoutDefaults()
    {
        var c = Parse("""{"model_type": "brand_new", "hidden_size": 96, "num_attention_heads": 6, "num_hidden_layers": 3, "rms_norm_eps": 1e-6}""");
        Assert.False(c.IsKnownModelType);
        Assert.Equal(96, c.HiddenSize);
        Assert.Equal(6, c.NumKeyValueHeads);
        Assert.Equal(16, c.HeadDim);
        Assert.Null(c.IntermediateSize);
        Assert.Null(c.VocabSize);
        Assert.Null(c.RopeTheta);
        Assert.False(Parse("{}").IsKnownModelType);
        Assert.Null(Parse("{}").ModelType);
    }

    [Fact]
    public void UnknownModelWithVisionConfigIsAVisionLanguageModel()
    {
        var c = Parse("""{"model_type": "new_vlm", "hidden_size": 64, "num_attention_heads": 4, "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 32}}""");
        Assert.True(c.IsVisionLanguageModel);
        Assert.False(c.IsKnownModelType);
        Assert.Equal(64, c.HiddenSize);
        Assert.Equal("siglip_vision_model", c.VisionConfig!.ModelType);
        Assert.Equal(32, c.VisionConfig.HiddenSize);

        var nested = Parse("""{"model_type": "gemma3", "text_config": {"model_type": "gemma3_text", "hidden_size": 640}, "vision_config": {}}""");
        Assert.Equal("gemma3_text", nested.TextConfig!.ModelType);
        Assert.Equal(640, nested.HiddenSize);
        Assert.False(nested.IsKnownModelType);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1, 2]")]
    [InlineData("""{"model_type": "llama",}""")]
    [InlineData("""{"a": 1, "a": 2}""")]
    [InlineData("""{"model_type": "llava", "text_config": {"hidden_size": 1, "hidden_size": 2}}""")]
    [InlineData("""{"model_type": "llama", "hidden_size": "32"}""")]
    [InlineData("""{"model_type": "llama", "hidden_size": 32.5}""")]
    [InlineData("""{"model_type": "llama", "hidden_size": 0}""")]
    [InlineData("""{"model_type": "llama", "num_attention_heads": -4}""")]
    [InlineData("""{"model_type": "llama", "hidden_size": 1e30}""")]
    [InlineData("""{"model_type": "llama", "tie_word_embeddings": "yes"}""")]
    [InlineData("""{"model_type": 7}""")]
    [InlineData("""{"model_type": "llama", "architectures": "LlamaForCausalLM"}""")]
    [InlineData("""{"model_type": "llama", "rms_norm_eps": -1}""")]
    [InlineData("""{"model_type": "llama", "rope_parameters": {"rope_theta": "big"}}""")]
    [InlineData("""{"model_type": "llama", "torch_dtype": 16}""")]
    [InlineData("""{"model_type": "llava", "text_config": []}""")]
    [InlineData("""{"model_type": "gpt2", "n_embd": 1000000000}""")]
    public void BadConfigIsRejectedNamingTheFile(string json)
    {
        var e = Assert.Throws<ModelException>(() => Parse(json));
        Assert.Equal(ModelError.BadConfig, e.Reason);
        Assert.Equal("config.json", e.FilePath);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void BadValueMessageNamesTheKey()
    {
        var e = Assert.Throws<ModelException>(() => Parse("""{"model_type": "llava", "text_config": {"hidden_size": "x"}}"""));
        Assert.Contains("text_config.hidden_size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingOrHugeConfigFileIsRejected()
    {
        using var temp = new TempFolder();
        Assert.Equal(ModelError.NotFound, Assert.Throws<ModelException>(() => ModelConfig.Load(temp.File("config.json"))).Reason);
        using (var stream = File.Create(temp.File("big.json")))
            stream.SetLength(ModelConfig.MaxFileBytes + 1);
        Assert.Equal(ModelError.BadConfig, Assert.Throws<ModelException>(() => ModelConfig.Load(temp.File("big.json"))).Reason);
    }
}
