using Thaw.Formats.Gguf;
using Thaw.Formats.Safetensors;

namespace Thaw.Tests.Gguf;

public sealed class GgufTensorNamesTests
{
    [Fact]
    public void TheHfModelsNamesMapToTheConvertersNames()
    {
        using var hf = SafetensorsFile.Open(Fixtures.Path("A1-llama-bf16/model.safetensors"));
        using var gguf = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        var mapped = hf.Tensors.Select(t => GgufTensorNames.FromHuggingFace(t.Name, "llama")).Order(StringComparer.Ordinal);
        Assert.Equal(gguf.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), mapped);
    }

    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.weight", "llama", "blk.0.attn_q.weight")]
    [InlineData("model.layers.31.mlp.down_proj.weight", "llama", "blk.31.ffn_down.weight")]
    [InlineData("model.layers.7.self_attn.o_proj.bias", "llama", "blk.7.attn_output.bias")]
    [InlineData("model.layers.2.self_attn.k_proj.bias", "qwen2", "blk.2.attn_k.bias")]
    [InlineData("model.layers.2.post_attention_layernorm.weight", "qwen2", "blk.2.ffn_norm.weight")]
    [InlineData("lm_head.weight", "qwen2", "output.weight")]
    [InlineData("layers.3.input_layernorm.weight", "llama", "blk.3.attn_norm.weight")] // LlamaModel without "model."
    [InlineData("embed_tokens.weight", "qwen2", "token_embd.weight")]
    [InlineData("language_model.model.norm.weight", "llama", "output_norm.weight")]
    [InlineData("text_model.model.layers.0.mlp.up_proj.weight", "llama", "blk.0.ffn_up.weight")]
    public void NamesMap(string hf, string architecture, string expected) =>
        Assert.Equal(expected, GgufTensorNames.FromHuggingFace(hf, architecture));

    [Theory]
    [InlineData("model.layers.0.self_attn.rotary_emb.inv_freq")]
    [InlineData("transformer.h.0.attention.masked_bias")]
    public void BuffersAreDropped(string hf) => Assert.Null(GgufTensorNames.FromHuggingFace(hf, "llama"));

    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.weight.absmax", "dequantize")]
    [InlineData("model.layers.0.mlp.down_proj.SCB", "dequantize")]
    [InlineData("model.layers.0.self_attn.q_norm.weight", "not a tensor")]
    [InlineData("model.layers.x.self_attn.q_proj.weight", "not a tensor")]
    [InlineData("model.embed_tokens", "not a tensor")]
    public void UnknownNamesAreRefused(string hf, string hint)
    {
        var error = Assert.Throws<GgufException>(() => GgufTensorNames.FromHuggingFace(hf, "llama"));
        Assert.Equal(GgufError.UnmappedTensor, error.Reason);
        Assert.Equal(hf, error.TensorName);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedArchitectureIsNamed()
    {
        var error = Assert.Throws<GgufException>(() => GgufTensorNames.FromHuggingFace("model.norm.weight", "gpt2"));
        Assert.Equal(GgufError.UnsupportedArchitecture, error.Reason);
        Assert.Contains("'gpt2'", error.Message, StringComparison.Ordinal);
    }
}
