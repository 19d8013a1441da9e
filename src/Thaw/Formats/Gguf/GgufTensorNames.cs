namespace Thaw.Formats.Gguf;

/// <summary>
/// Hugging Face → GGUF tensor names for the llama (also Mistral, which llama.cpp's converter writes as llama) and
/// qwen2 architectures, as gguf-py's tensor mapping gives them: <c>model.layers.N.self_attn.q_proj.weight</c> →
/// <c>blk.N.attn_q.weight</c>. The <c>.weight</c>/<c>.bias</c> suffix is kept.
/// </summary>
public static class GgufTensorNames
{
    /// <summary>The GGUF architectures this mapping covers.</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["llama", "qwen2"];

    private static readonly Dictionary<string, string> Global = new(StringComparer.Ordinal)
    {
        ["model.embed_tokens"] = "token_embd",
        ["model.norm"] = "output_norm",
        ["lm_head"] = "output",
    };

    private static readonly Dictionary<string, string> PerLayer = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    // Buffers the converter skips rather than maps.
    private static readonly string[] DroppedSuffixes = [".rotary_emb.inv_freq", ".attention.masked_bias", ".attention.bias"];

    private static readonly string[] QuantizationLeftovers = [".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map", ".SCB", ".weight_format", ".quant_state."];

    /// <summary>
    /// The GGUF name of <paramref name="hfName"/> for <paramref name="architecture"/> ("llama" or "qwen2"), or null
    /// for a buffer the converter drops (<c>rotary_emb.inv_freq</c>, <c>attention.masked_bias</c>,
    /// <c>attention.bias</c>). A <c>language_model.</c> prefix is stripped (and <c>text_model.</c> for llama), and
    /// a bare base-model name (<c>layers.0....</c>, <c>embed_tokens.weight</c>) gets the <c>model.</c> prefix.
    /// </summary>
    /// <exception cref="GgufException">The architecture is not covered (<see cref="GgufError.UnsupportedArchitecture"/>)
    /// or the name has no GGUF name (<see cref="GgufError.UnmappedTensor"/>).</exception>
    public static string? FromHuggingFace(string hfName, string architecture)
    {
        ArgumentNullException.ThrowIfNull(hfName);
        ArgumentNullException.ThrowIfNull(architecture);
        if (!Architectures.Contains(architecture))
        {
            GgufException.Throw(GgufError.UnsupportedArchitecture, null, hfName,
                $"architecture '{architecture}' is not supported for GGUF tensor names; supported: {string.Join(", ", Architectures)}");
        }
        if (DroppedSuffixes.Any(s => hfName.EndsWith(s, StringComparison.Ordinal)))
            return null;

        var name = hfName;
        if (name.StartsWith("language_model.", StringComparison.Ordinal))
            name = name["language_model.".Length..];
        if (architecture == "llama" && name.StartsWith("text_model.", StringComparison.Ordinal))
            name = name["text_model.".Length..];
        if (!name.StartsWith("model.", StringComparison.Ordinal) && !name.StartsWith("lm_head.", StringComparison.Ordinal))
            name = "model." + name;

        var suffixStart = name.LastIndexOf('.');
        var suffix = suffixStart < 0 ? "" : name[suffixStart..];
        if (suffix is ".weight" or ".bias")
        {
            var module = name[..suffixStart];
            if (Global.TryGetValue(module, out var global))
                return global + suffix;
            if (module.StartsWith("model.layers.", StringComparison.Ordinal))
            {
                var rest = module["model.layers.".Length..];
                var dot = rest.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && rest[..dot].All(char.IsAsciiDigit) && PerLayer.TryGetValue(rest[(dot + 1)..], out var layer))
                    return $"blk.{int.Parse(rest[..dot], System.Globalization.CultureInfo.InvariantCulture)}.{layer}{suffix}";
            }
        }

        var hint = QuantizationLeftovers.Any(l => hfName.Contains(l, StringComparison.Ordinal))
            ? "it is part of a bitsandbytes-quantized weight: dequantize the model (or merge into a 16-bit base) first"
            : $"it is not a tensor of a {architecture} checkpoint";
        GgufException.Throw(GgufError.UnmappedTensor, null, hfName, $"has no GGUF name for architecture {architecture} (llama.cpp: \"Can not map tensor\"); {hint}");
        return null;
    }
}
