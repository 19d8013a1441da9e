using System.Runtime.InteropServices;
using Thaw.Tensors;
using Thaw.Tests.Models;

namespace Thaw.Tests.Lora;

/// <summary>Hand-built adapter folders for the rejection tests, against the A1 tiny Llama (hidden 32, 2 layers).</summary>
internal static class TestAdapters
{
    public const string Q0 = "model.layers.0.self_attn.q_proj";

    public static string Config(string extra = "", int r = 4, string targets = """["q_proj"]""") =>
        $$"""{"peft_type": "LORA", "r": {{r}}, "lora_alpha": 8, "target_modules": {{targets}}, "base_model_name_or_path": "A1-llama-bf16"{{extra}}}""";

    /// <summary>An F32 tensor with small deterministic non-zero values (or <paramref name="fill"/> everywhere).</summary>
    public static TestWeights.Tensor F32(string name, long[] shape, float? fill = null)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, (int)count).Select(i => fill ?? (((i * 37) % 17) - 8) / 256f).ToArray();
        return new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>lora_A [r, in] and lora_B [out, r] under PEFT's saved key form.</summary>
    public static TestWeights.Tensor[] Linear(string module, int r = 4, long inFeatures = 32, long outFeatures = 32, string prefix = "base_model.model.") =>
    [
        F32($"{prefix}{module}.lora_A.weight", [r, inFeatures]),
        F32($"{prefix}{module}.lora_B.weight", [outFeatures, r]),
    ];

    /// <summary>Writes adapter_config.json and adapter_model.safetensors into <paramref name="folder"/>.</summary>
    public static string Write(TempFolder folder, string config, params TestWeights.Tensor[] tensors)
    {
        File.WriteAllText(folder.File("adapter_config.json"), config);
        TestWeights.Write(folder.File("adapter_model.safetensors"), tensors);
        return folder.Path;
    }
}
