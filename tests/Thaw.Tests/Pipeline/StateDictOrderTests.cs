using Thaw.Formats.Safetensors;
using Thaw.Pipeline;

namespace Thaw.Tests.Pipeline;

public class StateDictOrderTests
{
    [Fact]
    public void LlamaTensorsComeInModuleRegistrationOrder()
    {
        // LlamaForCausalLM registers embed_tokens, layers (self_attn q/k/v/o, mlp gate/up/down, the two norms), norm, then lm_head.
        using var file = SafetensorsFile.Open(Fixtures.Path("A1-llama-bf16/model.safetensors"));
        var sorted = StateDictOrder.Sort(file.Tensors.Select(t => t.Name), n => n);
        List<string> expected = ["model.embed_tokens.weight"];
        for (var layer = 0; layer < 2; layer++)
        {
            expected.AddRange(new[]
            {
                "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm",
            }.Select(m => $"model.layers.{layer}.{m}.weight"));
        }
        expected.AddRange(["model.norm.weight", "lm_head.weight"]);
        Assert.Equal(expected, sorted);
    }

    [Fact]
    public void Gpt2TensorsComeInModuleRegistrationOrder()
    {
        string[] expected =
        [
            "transformer.wte.weight", "transformer.wpe.weight",
            "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight",
            "transformer.h.0.attn.c_attn.bias", "transformer.h.0.attn.c_proj.weight", "transformer.h.0.ln_2.weight",
            "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_proj.weight",
            "transformer.ln_f.weight", "lm_head.weight",
        ];
        Assert.Equal(expected, StateDictOrder.Sort(expected.Reverse(), n => n));
    }

    [Theory]
    [InlineData("model.layers.2.mlp.up_proj.weight", "model.layers.10.mlp.up_proj.weight")]
    [InlineData("model.layers.9.x", "model.layers.010.a")]
    [InlineData("a.weight", "a.weight.absmax")]
    [InlineData("a.weight.absmax", "a.bias")]
    [InlineData("model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.qkv_proj.weight")]
    [InlineData("model.layers.0.mlp.down_proj.weight", "model.layers.0.some_adapter.weight")]
    [InlineData("x.alpha", "x.beta")]
    [InlineData("x.7", "x.alpha")]
    public void FirstComesBeforeSecond(string first, string second)
    {
        Assert.True(StateDictOrder.Instance.Compare(first, second) < 0);
        Assert.True(StateDictOrder.Instance.Compare(second, first) > 0);
        Assert.Equal(0, StateDictOrder.Instance.Compare(first, new string(first.AsSpan())));
    }
}
