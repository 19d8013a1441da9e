namespace Thaw.Formats.Gguf;

/// <summary>
/// The exact value types llama.cpp's loader requires for the keys it reads (GGUF spec section 2.1): its
/// <c>get_key</c> fails on any other type ("key X has wrong type"), even a wider integer. Keys it does not know are
/// free. <c>*</c> stands for the architecture prefix (<c>llama.</c>, <c>qwen2.</c>, ...).
/// </summary>
public static class LlamaKeyTypes
{
    private static readonly Dictionary<string, GgufValueType> Exact = new(StringComparer.Ordinal)
    {
        ["general.architecture"] = GgufValueType.String,
        ["general.name"] = GgufValueType.String,
        ["general.type"] = GgufValueType.String,
        ["general.file_type"] = GgufValueType.UInt32,
        ["general.quantization_version"] = GgufValueType.UInt32,
        ["general.alignment"] = GgufValueType.UInt32,
        ["tokenizer.ggml.model"] = GgufValueType.String,
        ["tokenizer.ggml.pre"] = GgufValueType.String,
        ["tokenizer.chat_template"] = GgufValueType.String,
        ["tokenizer.ggml.add_bos_token"] = GgufValueType.Bool,
        ["tokenizer.ggml.add_eos_token"] = GgufValueType.Bool,
        ["tokenizer.ggml.add_sep_token"] = GgufValueType.Bool,
        ["tokenizer.ggml.add_space_prefix"] = GgufValueType.Bool,
        ["tokenizer.ggml.remove_extra_whitespaces"] = GgufValueType.Bool,
        ["adapter.type"] = GgufValueType.String,
        ["adapter.lora.alpha"] = GgufValueType.Float32,
    };

    // Element types of the tokenizer arrays: the loader reads scores and token types as raw 4-byte floats and ints.
    private static readonly Dictionary<string, GgufValueType> ArrayElements = new(StringComparer.Ordinal)
    {
        ["tokenizer.ggml.tokens"] = GgufValueType.String,
        ["tokenizer.ggml.scores"] = GgufValueType.Float32,
        ["tokenizer.ggml.token_type"] = GgufValueType.Int32,
        ["tokenizer.ggml.merges"] = GgufValueType.String,
    };

    private static readonly Dictionary<string, GgufValueType> PerArchitecture = new(StringComparer.Ordinal)
    {
        ["context_length"] = GgufValueType.UInt32,
        ["embedding_length"] = GgufValueType.UInt32,
        ["block_count"] = GgufValueType.UInt32,
        ["feed_forward_length"] = GgufValueType.UInt32,
        ["attention.head_count"] = GgufValueType.UInt32,
        ["attention.head_count_kv"] = GgufValueType.UInt32,
        ["rope.dimension_count"] = GgufValueType.UInt32,
        ["attention.key_length"] = GgufValueType.UInt32,
        ["attention.value_length"] = GgufValueType.UInt32,
        ["vocab_size"] = GgufValueType.UInt32,
        ["rope.scaling.original_context_length"] = GgufValueType.UInt32,
        ["attention.layer_norm_rms_epsilon"] = GgufValueType.Float32,
        ["rope.freq_base"] = GgufValueType.Float32,
        ["rope.scaling.factor"] = GgufValueType.Float32,
        ["rope.scaling.type"] = GgufValueType.String,
    };

    // Per-layer values may be given as one array of block_count integers instead.
    private static readonly HashSet<string> PerLayerArrays = new(StringComparer.Ordinal)
    {
        "feed_forward_length", "attention.head_count", "attention.head_count_kv",
    };

    /// <summary>
    /// Why llama.cpp would refuse <paramref name="value"/> under <paramref name="key"/> ("has type uint64,
    /// llama.cpp requires uint32"), or null when the type is the required one or the key is not one llama.cpp
    /// types strictly.
    /// </summary>
    public static string? Check(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (ArrayElements.TryGetValue(key, out var element))
            return value.ElementType == element ? null : Refusal(value, $"array[{GgufValueTypes.Name(element)}]");
        if (Required(key) is not { } required)
            return null;
        if (value.Type == required && value.ElementType is null)
            return null;
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && PerLayerArrays.Contains(key[(dot + 1)..]) && value.ElementType is GgufValueType.UInt32 or GgufValueType.Int32)
            return null;
        return Refusal(value, GgufValueTypes.Name(required));
    }

    private static GgufValueType? Required(string key)
    {
        if (Exact.TryGetValue(key, out var type))
            return type;
        if (key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal) && key.EndsWith("_token_id", StringComparison.Ordinal))
            return GgufValueType.UInt32;
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || key[..dot] is "general" or "tokenizer" or "adapter")
            return null;
        var rest = key[(dot + 1)..];
        if (PerArchitecture.TryGetValue(rest, out type))
            return type;
        return rest.StartsWith("rope.scaling.yarn_", StringComparison.Ordinal) ? GgufValueType.Float32 : null;
    }

    private static string Refusal(GgufValue value, string required) =>
        $"has type {value.TypeName}; llama.cpp requires {required} and refuses any other type";
}
