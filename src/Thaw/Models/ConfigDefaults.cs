namespace Thaw.Models;

/// <summary>
/// The values transformers' configuration classes give to keys that config.json leaves out, per model type
/// (configuration_&lt;arch&gt;.py of transformers 5.x; the same in 4.x unless noted). A null default means
/// "derived": num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads, and for
/// GPT-2 n_inner = 4 * n_embd.
/// </summary>
internal sealed record ConfigDefaults(
    int? VocabSize,
    int? HiddenSize,
    int? IntermediateSize,
    int? NumHiddenLayers,
    int? NumAttentionHeads,
    int? NumKeyValueHeads,
    int? HeadDim,
    int? MaxPositionEmbeddings,
    double? RmsNormEps,
    double? LayerNormEps,
    double? RopeTheta,
    bool TieWordEmbeddings)
{
    /// <summary>Key names, first the canonical one then the model's own alias (GPT-2's attribute_map).</summary>
    public ConfigKeys Keys { get; init; } = ConfigKeys.Standard;

    /// <summary>GPT-2: an absent or null n_inner means 4 * n_embd.</summary>
    public int? IntermediateMultipleOfHidden { get; init; }

    /// <summary>Used for model types Thaw does not know: only PreTrainedConfig's own defaults apply.</summary>
    public static ConfigDefaults Unknown { get; } =
        new(null, null, null, null, null, null, null, null, null, null, null, TieWordEmbeddings: true);

    private const double DefaultTheta = 10_000.0;

    private static readonly Dictionary<string, ConfigDefaults> ByModelType = new(StringComparer.Ordinal)
    {
        ["llama"] = new(32000, 4096, 11008, 32, 32, null, null, 2048, 1e-6, null, DefaultTheta, false),
        // Mistral's num_key_value_heads defaults to 8 when absent (but to num_attention_heads when null).
        ["mistral"] = new(32000, 4096, 14336, 32, 32, 8, null, 4096 * 32, 1e-6, null, DefaultTheta, false),
        ["qwen2"] = new(151936, 4096, 22016, 32, 32, 32, null, 32768, 1e-6, null, DefaultTheta, false),
        // Qwen3's head_dim defaults to 128, not hidden_size / num_attention_heads.
        ["qwen3"] = new(151936, 4096, 22016, 32, 32, 32, 128, 32768, 1e-6, null, DefaultTheta, false),
        ["gemma"] = new(256000, 3072, 24576, 28, 16, 16, 256, 8192, 1e-6, null, DefaultTheta, true),
        ["gemma2"] = new(256000, 2304, 9216, 26, 8, 4, 256, 8192, 1e-6, null, DefaultTheta, true),
        ["phi3"] = new(32064, 3072, 8192, 32, 32, null, null, 4096, 1e-5, null, DefaultTheta, false),
        // GPT-2 has no RoPE and no RMSNorm; tie_word_embeddings is PreTrainedConfig's default (true).
        ["gpt2"] = new(50257, 768, null, 12, 12, null, null, 1024, null, 1e-5, null, true)
        {
            Keys = ConfigKeys.Gpt2,
            IntermediateMultipleOfHidden = 4,
        },
        ["mllama_text_model"] = new(128256, 4096, 14336, 40, 32, 8, null, 131072, 1e-5, null, 500_000.0, false),
        ["qwen2_vl_text"] = new(152064, 8192, 29568, 80, 64, 8, null, 32768, 1e-5, null, 1_000_000.0, false),
    };

    /// <summary>The defaults of a language-model type, or null when Thaw does not know it.</summary>
    public static ConfigDefaults? Find(string? modelType) =>
        modelType is not null && ByModelType.TryGetValue(modelType, out var defaults) ? defaults : null;
}
