using Thaw.Lora;

namespace Thaw.Tests.Lora;

public class AdapterKeysTests
{
    [Theory]
    [InlineData("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_A.weight")]
    [InlineData("model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_A.weight")]
    [InlineData("model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", "model.layers.0.self_attn.q_proj.lora_A.default.weight")]
    [InlineData("pretrained_model.base_model.model.lm_head.weight", "lm_head.weight")]
    [InlineData("xbase_model.model.q_proj.lora_A.weight", "xbase_model.model.q_proj.lora_A.weight")]
    public void PeftPrefixAndWhatWrapsItAreStrippedAtASegmentBoundary(string key, string expected) => Assert.Equal(expected, AdapterKeys.StripPeftPrefix(key));

    [Theory]
    [InlineData("q_proj.lora_A.default.weight", "q_proj.lora_A.weight")]
    [InlineData("q_proj.lora_B.my_adapter.weight", "q_proj.lora_B.weight")]
    [InlineData("q_proj.lora_B.default.bias", "q_proj.lora_B.bias")]
    [InlineData("embed_tokens.lora_embedding_A.default", "embed_tokens.lora_embedding_A")]
    [InlineData("embed_tokens.lora_embedding_B.default", "embed_tokens.lora_embedding_B")]
    [InlineData("q_proj.lora_magnitude_vector.default.weight", "q_proj.lora_magnitude_vector")]
    [InlineData("q_proj.lora_magnitude_vector.default", "q_proj.lora_magnitude_vector")]
    [InlineData("q_proj.lora_magnitude_vector.weight", "q_proj.lora_magnitude_vector")]
    [InlineData("score.modules_to_save.default.weight", "score.weight")]
    [InlineData("embed_tokens.token_adapter.trainable_tokens_delta.default", "embed_tokens.token_adapter.trainable_tokens_delta")]
    [InlineData("q_proj.lora_A.weight", "q_proj.lora_A.weight")]
    [InlineData("q_proj.lora_B.bias", "q_proj.lora_B.bias")]
    public void AdapterNamesAreRemoved(string key, string expected) => Assert.Equal(expected, AdapterKeys.StripAdapterName(key));

    [Theory]
    [InlineData("_orig_mod.base_model.model.q_proj.lora_A.weight", "base_model.model.q_proj.lora_A.weight")]
    [InlineData("module.base_model.model.q_proj.lora_A.weight", "base_model.model.q_proj.lora_A.weight")]
    [InlineData("module.module.q_proj.lora_A.weight", "q_proj.lora_A.weight")]
    [InlineData("model.layers.0._fsdp_wrapped_module._checkpoint_wrapped_module.q_proj.lora_A.weight", "model.layers.0.q_proj.lora_A.weight")]
    [InlineData("model.adapter.module.q_proj.lora_A.weight", "model.adapter.module.q_proj.lora_A.weight")]
    public void WrapperPrefixesAreRemoved(string key, string expected) => Assert.Equal(expected, AdapterKeys.StripWrappers(key));

    [Fact]
    public void RawTrainingCheckpointKeysNormalizeToTheSavedForm()
    {
        Assert.Equal("model.layers.0.self_attn.q_proj.lora_A.weight",
            AdapterKeys.Normalize("module._orig_mod.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"));
        Assert.Equal("model.layers.0.self_attn.q_proj.lora_A.weight",
            AdapterKeys.Normalize("model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"));
    }

    [Theory]
    [InlineData("m.q_proj.lora_A.weight", "m.q_proj", AdapterTensorRole.LoraA)]
    [InlineData("m.q_proj.lora_B.weight", "m.q_proj", AdapterTensorRole.LoraB)]
    [InlineData("m.q_proj.lora_B.bias", "m.q_proj", AdapterTensorRole.LoraBBias)]
    [InlineData("m.embed_tokens.lora_embedding_A", "m.embed_tokens", AdapterTensorRole.EmbeddingA)]
    [InlineData("m.embed_tokens.lora_embedding_B", "m.embed_tokens", AdapterTensorRole.EmbeddingB)]
    [InlineData("m.q_proj.lora_magnitude_vector", "m.q_proj", AdapterTensorRole.Magnitude)]
    [InlineData("lm_head.weight", "lm_head.weight", AdapterTensorRole.Replacement)]
    [InlineData("score.bias", "score.bias", AdapterTensorRole.Replacement)]
    [InlineData("model.embed_tokens.base_layer.weight", "model.embed_tokens.weight", AdapterTensorRole.Replacement)]
    [InlineData("model.embed_tokens.token_adapter.trainable_tokens_delta", "model.embed_tokens", AdapterTensorRole.TrainableTokens)]
    [InlineData("score.original_module.weight", "score.original_module.weight", AdapterTensorRole.Ignored)]
    public void KeysAreClassified(string key, string module, AdapterTensorRole role) =>
        Assert.Equal(new AdapterKey(module, role), AdapterKeys.Classify(key));

    [Theory]
    [InlineData("m.q_proj.lora_diag")]
    [InlineData("m.q_proj.hada_w1_a")]
    [InlineData("m.q_proj.lora_A.default.extra.weight")]
    [InlineData("m.q_proj.ia3_l")]
    [InlineData("m.q_proj.lora_A")]
    public void UnknownKeysAreNotClassified(string key) => Assert.Null(AdapterKeys.Classify(AdapterKeys.Normalize(key)));
}
