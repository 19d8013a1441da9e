using System.Text.Json.Nodes;
using Thaw.Models;

namespace Thaw.Formats.Gguf.Conversion;

/// <summary>
/// RoPE scaling as llama.cpp's converter writes it (spec/gguf.md §2.3): linear and yarn as keys; Llama 3's
/// frequency-dependent scaling as the extra F32 tensor <c>rope_freqs.weight</c> (head_dim/2 factors, computed in
/// float32); dynamic and unknown types as nothing.
/// </summary>
public sealed record GgufRope(IReadOnlyList<KeyValuePair<string, GgufValue>> Keys, float[]? Frequencies)
{
    /// <summary>The name of the generated Llama 3 frequency-factor tensor.</summary>
    public const string FrequenciesTensor = "rope_freqs.weight";

    /// <exception cref="GgufException">A scaling type llama.cpp's loader would crash on, or a yarn config without its original length.</exception>
    public static GgufRope For(ModelConfig config, string architecture, int headDim, string configPath)
    {
        ArgumentNullException.ThrowIfNull(config);
        var scaling = config.Raw["rope_scaling"] as JsonObject ?? config.Raw["rope_parameters"] as JsonObject;
        var type = (scaling?["rope_type"] ?? scaling?["type"]) is JsonValue t && t.TryGetValue(out string? name) ? name : null;
        double? Number(string key) => scaling?[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;
        var prefix = architecture + ".rope.scaling.";
        switch (type)
        {
            case "linear" when Number("factor") is { } factor:
                return new([new(prefix + "type", GgufValue.FromString("linear")), new(prefix + "factor", GgufValue.FromFloat32((float)factor))], null);
            case "yarn" when Number("factor") is { } factor:
                if (Number("original_max_position_embeddings") is not { } original)
                {
                    GgufException.Throw(GgufError.MissingKey, configPath, null,
                        "rope_scaling type yarn has no original_max_position_embeddings, which llama.cpp's converter requires");
                    return null;
                }
                var keys = new List<KeyValuePair<string, GgufValue>>
                {
                    new(prefix + "type", GgufValue.FromString("yarn")),
                    new(prefix + "factor", GgufValue.FromFloat32((float)factor)),
                    new(prefix + "original_context_length", GgufValue.FromUInt32((uint)original)),
                };
                foreach (var (key, gguf) in new[] { ("extrapolation_factor", "yarn_ext_factor"), ("attention_factor", "yarn_attn_factor"), ("attn_factor", "yarn_attn_factor"), ("beta_fast", "yarn_beta_fast"), ("beta_slow", "yarn_beta_slow") })
                {
                    if (Number(key) is { } value && keys.All(k => k.Key != prefix + gguf))
                        keys.Add(new(prefix + gguf, GgufValue.FromFloat32((float)value)));
                }
                return new(keys, null);
            case "llama3":
                return new([], Llama3Factors(config.RopeTheta ?? 10000, headDim, Number("factor") ?? 8, Number("low_freq_factor") ?? 1,
                    Number("high_freq_factor") ?? 4, Number("original_max_position_embeddings") ?? 8192));
            case "longrope" or "su":
                GgufException.Throw(GgufError.UnsupportedArchitecture, configPath, null,
                    $"rope_scaling type '{type}' needs the long/short factor tensors of Phi-3-style models, which Thaw does not write");
                return null;
            default:
                return new([], null);
        }
    }

    // convert_hf_to_gguf.py LlamaModel.generate_extra_tensors, in float32 as torch computes it.
    private static float[] Llama3Factors(double theta, int headDim, double factor, double lowFreqFactor, double highFreqFactor, double originalContext)
    {
        var lowFreqWavelength = (float)(originalContext / lowFreqFactor);
        var highFreqWavelength = (float)(originalContext / highFreqFactor);
        var result = new float[headDim / 2];
        for (var i = 0; i < result.Length; i++)
        {
            var frequency = 1f / MathF.Pow((float)theta, 2f * i / headDim);
            var wavelength = (float)(2 * Math.PI) / frequency;
            if (wavelength < highFreqWavelength)
                result[i] = 1f;
            else if (wavelength > lowFreqWavelength)
                result[i] = (float)factor;
            else
            {
                var smooth = ((float)originalContext / wavelength - (float)lowFreqFactor) / (float)(highFreqFactor - lowFreqFactor);
                result[i] = 1f / ((1f - smooth) / (float)factor + smooth);
            }
        }
        return result;
    }
}
