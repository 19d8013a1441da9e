using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Thaw.Formats.Json;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Benchmarks.Synthetic;

/// <summary>
/// Writes a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, F32 as PEFT saves) for a
/// <see cref="SyntheticLlama"/> shape, on all seven linear layers of every decoder layer. Values are seeded and
/// scaled so that ||s·B@A||_F / ||W||_F is about <see cref="TargetRatio"/> against the synthetic base: the size of
/// a real fine-tune's delta, so the merge has something to add.
/// </summary>
internal static class SyntheticLora
{
    public const double TargetRatio = 0.02;

    public static void Write(string folder, SyntheticLlama.Shape shape, int rank, int alpha, string baseModel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        Directory.CreateDirectory(folder);
        var pairs = new List<(TensorInfo A, TensorInfo B)>();
        for (var layer = 0; layer < shape.Layers; layer++)
        {
            foreach (var (module, outFeatures, inFeatures) in SyntheticLlama.Projections(shape))
            {
                var prefix = $"base_model.model.model.layers.{layer}.{module}.";
                pairs.Add((Info(prefix + "lora_A.weight", rank, inFeatures), Info(prefix + "lora_B.weight", outFeatures, rank)));
            }
        }
        using (var writer = SafetensorsWriter.Create(Path.Combine(folder, "adapter_model.safetensors"),
                   pairs.SelectMany(p => new[] { p.A, p.B }), overwrite: true))
        {
            var scaling = (double)alpha / rank;
            var buffer = new float[pairs.Max(p => Math.Max(p.A.ElementCount, p.B.ElementCount))];
            for (var i = 0; i < pairs.Count; i++)
            {
                var (a, b) = pairs[i];
                // A as PEFT's Kaiming-style init (std 1/sqrt(in)); B sized so that the expected
                // ||s·B@A||_F = s·sqrt(r)·std_A·std_B·sqrt(out·in) is TargetRatio·||W||_F.
                var stdA = 1 / Math.Sqrt(a.Shape[1]);
                var stdB = TargetRatio * BaseWeightStd / (scaling * Math.Sqrt(rank) * stdA);
                var random = new Random(i);
                Fill(writer, a, random, stdA, buffer);
                Fill(writer, b, random, stdB, buffer);
            }
            writer.Complete();
        }
        File.WriteAllBytes(Path.Combine(folder, "adapter_config.json"), Config(rank, alpha, baseModel));
    }

    // Std of uniform ±h is h/sqrt(3).
    private static double BaseWeightStd => SyntheticLlama.WeightHalfRange / Math.Sqrt(3);

    private static TensorInfo Info(string name, params long[] shape) =>
        new(name, DType.F32, [.. shape], TensorInfo.TryComputeByteLength(DType.F32, shape)!.Value);

    private static void Fill(SafetensorsWriter writer, TensorInfo tensor, Random random, double std, float[] buffer)
    {
        var values = buffer.AsSpan(0, (int)tensor.ElementCount);
        var halfRange = std * Math.Sqrt(3);
        foreach (ref var value in values)
            value = (float)((random.NextDouble() * 2 - 1) * halfRange);
        writer.Write(tensor, 0, MemoryMarshal.AsBytes(values));
    }

    // PEFT's save_pretrained: json.dumps(config, indent=2, sort_keys=True), no trailing newline. Fields and
    // defaults as PEFT 0.20 writes them for LoraConfig(r, lora_alpha, target_modules=[the seven], task_type=CAUSAL_LM).
    private static byte[] Config(int rank, int alpha, string baseModel)
    {
        var config = JsonNode.Parse($$"""
            {
              "alora_invocation_tokens": null,
              "alpha_pattern": {},
              "arrow_config": null,
              "auto_mapping": null,
              "base_model_name_or_path": null,
              "bias": "none",
              "corda_config": null,
              "ensure_weight_tying": false,
              "eva_config": null,
              "exclude_modules": null,
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": {{alpha}},
              "lora_bias": false,
              "lora_dropout": 0.0,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": null,
              "peft_type": "LORA",
              "qalora_group_size": 16,
              "r": {{rank}},
              "rank_pattern": {},
              "revision": null,
              "target_modules": ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"],
              "target_parameters": null,
              "task_type": "CAUSAL_LM",
              "trainable_token_indices": null,
              "use_dora": false,
              "use_qalora": false,
              "use_rslora": false
            }
            """)!;
        config["base_model_name_or_path"] = baseModel;
        return PythonJson.ToBytes(config)[..^1];
    }
}
