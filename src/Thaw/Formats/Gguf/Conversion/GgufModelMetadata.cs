using Thaw.Models;

namespace Thaw.Formats.Gguf.Conversion;

/// <summary>
/// The key/values llama.cpp's converter writes for a model, in its order and with the exact types its loader
/// requires (spec/gguf.md §2.1-2.2): general.*, the architecture's hyperparameters from config.json (with
/// transformers' defaults), RoPE scaling, then the tokenizer's keys.
/// </summary>
public static class GgufModelMetadata
{
    /// <summary>GGML_QNT_VERSION, always written.</summary>
    public const uint QuantizationVersion = 2;

    /// <param name="config">config.json, defaults applied.</param>
    /// <param name="architecture">From <see cref="GgufArchitecture.For"/>.</param>
    /// <param name="name">general.name.</param>
    /// <param name="parameterCount">For general.size_label.</param>
    /// <param name="fileType">general.file_type.</param>
    /// <param name="rope">RoPE scaling keys.</param>
    /// <param name="tokenizer">tokenizer.* keys, in order.</param>
    /// <param name="configPath">Named in errors.</param>
    /// <exception cref="GgufException">A required hyperparameter is missing from the config.</exception>
    public static List<KeyValuePair<string, GgufValue>> Build(ModelConfig config, GgufArchitecture architecture, string name, long parameterCount,
        LlamaFileType fileType, GgufRope rope, IEnumerable<KeyValuePair<string, GgufValue>> tokenizer, string configPath)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(rope);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var arch = architecture.Name;
        uint Required(int? value, string key) => value is { } v and > 0
            ? (uint)v
            : throw new GgufException(GgufError.MissingKey, configPath, null, $"config.json has no {key}, which the GGUF metadata needs");
        var heads = Required(config.NumAttentionHeads, "num_attention_heads");
        var hidden = Required(config.HiddenSize, "hidden_size");
        var keys = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.architecture", GgufValue.FromString(arch)),
            new("general.type", GgufValue.FromString("model")),
            new("general.name", GgufValue.FromString(name)),
            new("general.size_label", GgufValue.FromString(GgufModelNaming.SizeLabel(parameterCount))),
            new($"{arch}.block_count", GgufValue.FromUInt32(Required(config.NumHiddenLayers, "num_hidden_layers"))),
            new($"{arch}.context_length", GgufValue.FromUInt32(Required(config.MaxPositionEmbeddings, "max_position_embeddings"))),
            new($"{arch}.embedding_length", GgufValue.FromUInt32(hidden)),
            new($"{arch}.feed_forward_length", GgufValue.FromUInt32(Required(config.IntermediateSize, "intermediate_size"))),
            new($"{arch}.attention.head_count", GgufValue.FromUInt32(heads)),
            new($"{arch}.attention.head_count_kv", GgufValue.FromUInt32((uint?)config.NumKeyValueHeads ?? heads)),
            new($"{arch}.rope.freq_base", GgufValue.FromFloat32((float)(config.RopeTheta ?? 10000))),
            new($"{arch}.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32((float)(config.RmsNormEps ?? 1e-6))),
        };
        // The converter reads transformers' config object, where LlamaConfig/MistralConfig always carry head_dim.
        if (config.HeadDim is { } headDim && (config.Raw.ContainsKey("head_dim") || arch == "llama"))
        {
            keys.Add(new($"{arch}.attention.key_length", GgufValue.FromUInt32((uint)headDim)));
            keys.Add(new($"{arch}.attention.value_length", GgufValue.FromUInt32((uint)headDim)));
        }
        keys.Add(new("general.file_type", GgufValue.FromUInt32((uint)fileType)));
        if (architecture.WritesVocabSize)
            keys.Add(new($"{arch}.vocab_size", GgufValue.FromUInt32(Required(config.VocabSize, "vocab_size"))));
        if (architecture.WritesRopeDimensionCount)
            keys.Add(new($"{arch}.rope.dimension_count", GgufValue.FromUInt32((uint?)config.HeadDim ?? hidden / heads)));
        keys.AddRange(rope.Keys);
        keys.Add(new("general.quantization_version", GgufValue.FromUInt32(QuantizationVersion)));
        keys.AddRange(tokenizer);
        return keys;
    }
}
