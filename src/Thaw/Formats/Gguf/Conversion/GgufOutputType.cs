namespace Thaw.Formats.Gguf.Conversion;

/// <summary>The <c>--gguf-type</c> choices: one type for every weight, or llama-quantize's Q4_K_M mix.</summary>
public enum GgufOutputType
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_K_M,
    Q6_K,
}

/// <summary>Names, file types and the per-tensor type choice of <see cref="GgufOutputType"/>.</summary>
public static class GgufOutputTypes
{
    private static readonly Dictionary<string, GgufOutputType> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["f32"] = GgufOutputType.F32,
        ["f16"] = GgufOutputType.F16,
        ["bf16"] = GgufOutputType.BF16,
        ["q8_0"] = GgufOutputType.Q8_0,
        ["q4_0"] = GgufOutputType.Q4_0,
        ["q4_k_m"] = GgufOutputType.Q4_K_M,
        ["q6_k"] = GgufOutputType.Q6_K,
    };

    /// <summary>The names the command line accepts.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string name, out GgufOutputType type) => ByName.TryGetValue(name, out type);

    /// <summary>general.file_type: the llama_ftype llama.cpp's tools write for this choice (spec/gguf.md §2.5).</summary>
    public static LlamaFileType FileType(GgufOutputType type) => type switch
    {
        GgufOutputType.F32 => LlamaFileType.AllF32,
        GgufOutputType.F16 => LlamaFileType.MostlyF16,
        GgufOutputType.BF16 => LlamaFileType.MostlyBF16,
        GgufOutputType.Q8_0 => LlamaFileType.MostlyQ8_0,
        GgufOutputType.Q4_0 => LlamaFileType.MostlyQ4_0,
        GgufOutputType.Q4_K_M => LlamaFileType.MostlyQ4_K_M,
        GgufOutputType.Q6_K => LlamaFileType.MostlyQ6_K,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The ggml type of one tensor (spec/gguf.md §3.3, §5.7): F32 for 1-D tensors, norms and biases whatever the
    /// choice; otherwise the chosen type, with llama_tensor_get_type's exceptions for models without experts: output
    /// (and a tied token_embd) → Q6_K unless the choice is Q8_0; for Q4_K_M, attn_v/ffn_down of the layers use_more_bits
    /// picks → Q6_K and the other attn_v of a 70B model → Q5_K; then tensor_type_fallback when the row length is not a
    /// multiple of the block (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16).
    /// </summary>
    /// <param name="type">The choice.</param>
    /// <param name="ggufName">The tensor's GGUF name ("blk.3.attn_v.weight").</param>
    /// <param name="dimensions">Its ggml dimensions (ne, innermost first).</param>
    /// <param name="layerCount">block_count, for use_more_bits.</param>
    /// <param name="isOutput">True for output.weight, or token_embd.weight when the model has no output.weight.</param>
    /// <param name="isLlamaCpp70B">True when llama.cpp labels the model LLM_TYPE_70B (see <see cref="IsLlamaCpp70B"/>):
    /// Q4_K_M then gives attn_v Q5_K where it would be Q4_K.</param>
    public static GgmlType TensorType(GgufOutputType type, string ggufName, IReadOnlyList<long> dimensions, int layerCount, bool isOutput,
        bool isLlamaCpp70B = false)
    {
        ArgumentNullException.ThrowIfNull(ggufName);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count <= 1 || ggufName.EndsWith("_norm.weight", StringComparison.Ordinal) || !ggufName.EndsWith(".weight", StringComparison.Ordinal))
            return GgmlType.F32;
        var chosen = type switch
        {
            GgufOutputType.F32 => GgmlType.F32,
            GgufOutputType.F16 => GgmlType.F16,
            GgufOutputType.BF16 => GgmlType.BF16,
            GgufOutputType.Q8_0 => GgmlType.Q8_0,
            GgufOutputType.Q4_0 => isOutput ? GgmlType.Q6_K : GgmlType.Q4_0,
            GgufOutputType.Q6_K => GgmlType.Q6_K,
            _ => Q4_K_M(ggufName, layerCount, isOutput, isLlamaCpp70B),
        };
        return Fallback(chosen, dimensions[0]);
    }

    /// <summary>
    /// Whether llama.cpp's loader labels the model LLM_TYPE_70B, the one size llama-quantize's type choice looks at:
    /// 80 layers, and for llama with grouped-query attention (80 layers without it is LLM_TYPE_65B).
    /// </summary>
    public static bool IsLlamaCpp70B(string ggufArchitecture, int layerCount, int headCount, int keyValueHeadCount) =>
        layerCount == 80 && ggufArchitecture switch
        {
            "llama" => headCount != keyValueHeadCount,
            "qwen2" => true,
            _ => false,
        };

    // llama_tensor_get_type for Q4_K_M on a model without experts: output → Q6_K; attn_v and ffn_down of the layers
    // use_more_bits picks → Q6_K; the other attn_v of a 70B model → Q5_K; everything else Q4_K.
    private static GgmlType Q4_K_M(string ggufName, int layerCount, bool isOutput, bool isLlamaCpp70B)
    {
        if (isOutput)
            return GgmlType.Q6_K;
        if (!MoreBitsCandidate(ggufName, out var layer, out var isAttentionValue))
            return GgmlType.Q4_K;
        if (UseMoreBits(layer, layerCount))
            return GgmlType.Q6_K;
        return isAttentionValue && isLlamaCpp70B ? GgmlType.Q5_K : GgmlType.Q4_K;
    }

    // llama-quantize's use_more_bits(i, n): the first and last eighth of the layers, and every third in between.
    internal static bool UseMoreBits(int layer, int layerCount) =>
        layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2;

    private static bool MoreBitsCandidate(string ggufName, out int layer, out bool isAttentionValue)
    {
        layer = -1;
        var parts = ggufName.Split('.');
        isAttentionValue = parts.Length == 4 && parts[2] == "attn_v";
        return parts.Length == 4 && parts[0] == "blk" && int.TryParse(parts[1], out layer) && parts[2] is "attn_v" or "ffn_down";
    }

    // Rows that are not whole blocks: llama-quantize's tensor_type_fallback (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0,
    // then F16). It has none for the 32-element types (it stops with an error there); the converter writes F16 for
    // q8_0, and Thaw does the same for all of them.
    private static GgmlType Fallback(GgmlType type, long rowLength)
    {
        if (rowLength % GgmlTypes.BlockSize(type) == 0)
            return type;
        var next = type switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => GgmlType.F16,
        };
        return next == GgmlType.F16 || rowLength % GgmlTypes.BlockSize(next) == 0 ? next : GgmlType.F16;
    }
}
