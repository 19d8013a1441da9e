using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;
using Thaw.Tests.Cli;
using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>A hand-built adapter on the NF4 double-quant base (MANIFEST A2): merged into the dequantized float32 weights, rounded once.</summary>
public sealed class MergeQuantizedBaseTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void TheDeltaIsAddedToTheDequantizedFloat32WeightsBeforeTheOneRounding()
    {
        var a = new float[32];
        a[0] = 1;
        a[5] = -0.5f;
        var b = Enumerable.Range(0, 32).Select(i => (float)(i % 3 - 1)).ToArray();
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "base_model_name_or_path": "A2-llama-nf4-dq" """),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 32], a), F32($"base_model.model.{Q}.lora_B.weight", [32, 1], b));
        var output = temp.File("out");
        MergeRuns.Merge(Fixtures.Path("A2-llama-nf4-dq"), output, [(adapter, 1.0)]);

        // The float32 dequantization, anchored to bitsandbytes' own (its bf16 rounding is the reference file's).
        var dequantized = temp.File("dequantized");
        Assert.Equal(0, CliRun.Of("dequantize", Fixtures.Path("A2-llama-nf4-dq"), "--out", dequantized, "--dtype", "f32").ExitCode);
        var w = ReadTensors(dequantized)[$"{Q}.weight"].Values;
        using (var reference = SafetensorsFile.Open(Fixtures.Path("A2-llama-nf4-dq.dequant-reference.safetensors")))
        {
            var bytes = reference.ReadAll(reference.Tensors.Single(t => t.Name == $"{Q}.weight"));
            var bf16 = new float[bytes.Length / 2];
            FloatConversions.ToSingle(DType.BF16, bytes, bf16);
            Assert.Equal(bf16, w.Select(Bf16Round));
        }

        var merged = ReadTensors(output)[$"{Q}.weight"];
        Assert.Equal(DType.BF16, merged.DType);
        var expected = Plus(w, MatMul(b, a, 32, 1, 32), 2).Select(Bf16Round);
        Assert.Equal(expected, merged.Values);
        Assert.False(Config(output).ContainsKey("quantization_config"));
        Assert.Equal(DType.BF16, ReadTensors(output)["model.layers.0.mlp.up_proj.weight"].DType);
    }

    private static float Bf16Round(float value) => FloatConversions.BFloat16BitsToSingle(FloatConversions.SingleToBFloat16Bits(value));
}
