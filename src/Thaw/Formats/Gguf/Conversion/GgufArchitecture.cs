using Thaw.Models;

namespace Thaw.Formats.Gguf.Conversion;

/// <summary>
/// How llama.cpp's converter writes one Hugging Face model type (spec/gguf.md §2.2, §2.4, §3.2): the GGUF
/// architecture name, whether q/k rows are permuted for llama's interleaved rotary layout, and which optional
/// keys it writes.
/// </summary>
public sealed record GgufArchitecture(string Name, bool PermutesQueryKey, bool WritesVocabSize, bool WritesRopeDimensionCount)
{
    private static readonly Dictionary<string, GgufArchitecture> ByModelType = new(StringComparer.Ordinal)
    {
        // MistralForCausalLM (HF format) goes through the converter's LlamaModel class: arch llama, permuted.
        ["llama"] = new("llama", PermutesQueryKey: true, WritesVocabSize: true, WritesRopeDimensionCount: true),
        ["mistral"] = new("llama", PermutesQueryKey: true, WritesVocabSize: true, WritesRopeDimensionCount: true),
        // NEOX rope matches HF's rotate_half, so no permutation; the converter writes neither optional key.
        ["qwen2"] = new("qwen2", PermutesQueryKey: false, WritesVocabSize: false, WritesRopeDimensionCount: false),
    };

    /// <summary>The model types Thaw converts.</summary>
    public static IReadOnlyCollection<string> SupportedModelTypes => ByModelType.Keys;

    /// <summary>The architecture of <paramref name="config"/>'s model type.</summary>
    /// <exception cref="GgufException">No config, or a model type Thaw does not convert (<see cref="GgufError.UnsupportedArchitecture"/>).</exception>
    public static GgufArchitecture For(ModelConfig? config, string modelPath)
    {
        if (config is null)
            GgufException.Throw(GgufError.UnsupportedArchitecture, modelPath, null, "has no config.json, which a GGUF file's architecture metadata comes from; convert a Hugging Face model folder");
        if (config.ModelType is not { } type || !ByModelType.TryGetValue(type, out var architecture))
        {
            GgufException.Throw(GgufError.UnsupportedArchitecture, modelPath, null,
                $"model_type '{config.ModelType}' cannot be written as GGUF yet; supported: {string.Join(", ", ByModelType.Keys)}");
            return null;
        }
        return architecture;
    }
}
