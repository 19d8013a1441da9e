using Thaw.Tests.Safetensors;

namespace Thaw.Tests.Models;

/// <summary>The reference model folders of set A under tests/fixtures.</summary>
internal static class ModelFixtures
{
    public static string A1 => SafetensorsTestFiles.Fixture("A1-llama-bf16");

    public static string A1Sharded => SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded");

    public static string A2Nf4 => SafetensorsTestFiles.Fixture("A2-llama-nf4-dq");

    public static string A2Fp4 => SafetensorsTestFiles.Fixture("A2-llama-fp4");

    /// <summary>total_parameters of A1-llama-bf16-sharded/model.safetensors.index.json (written by transformers).</summary>
    public const long A1ParameterCount = 2078880;

    /// <summary>The 14 projection weights that bitsandbytes quantized in A2 (7 per layer).</summary>
    public static IEnumerable<string> QuantizedWeights =>
        from layer in new[] { 0, 1 }
        from module in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" }
        select $"model.layers.{layer}.{module}.weight";
}
