namespace Thaw.Analysis;

/// <summary>
/// The GGUF names llama.cpp's converter gives the Linear weights of Llama-family decoders (blk.N.attn_q.weight for
/// model.layers.N.self_attn.q_proj.weight, output.weight for lm_head), for reading imatrix files, whose entries use
/// them. The converter's Q/K row permutation does not touch input columns, so importances map one to one.
/// </summary>
public static class GgufModuleNames
{
    private const string LayerPrefix = "model.layers.";

    private static readonly Dictionary<string, string> BlockModules = new(StringComparer.Ordinal)
    {
        ["attn_q"] = "self_attn.q_proj",
        ["attn_k"] = "self_attn.k_proj",
        ["attn_v"] = "self_attn.v_proj",
        ["attn_output"] = "self_attn.o_proj",
        ["attn_qkv"] = "self_attn.qkv_proj",
        ["ffn_gate"] = "mlp.gate_proj",
        ["ffn_up"] = "mlp.up_proj",
        ["ffn_down"] = "mlp.down_proj",
    };

    /// <summary>The HF module of a GGUF weight name ("blk.0.attn_q.weight" → "model.layers.0.self_attn.q_proj"), or null.</summary>
    public static string? ToHfModule(string ggufWeight)
    {
        ArgumentNullException.ThrowIfNull(ggufWeight);
        if (!ggufWeight.EndsWith(".weight", StringComparison.Ordinal))
            return null;
        var stem = ggufWeight[..^".weight".Length];
        if (stem == "output")
            return "lm_head";
        var parts = stem.Split('.');
        if (parts is ["blk", var layer, var kind] && layer.Length > 0 && layer.All(char.IsAsciiDigit) && BlockModules.TryGetValue(kind, out var module))
            return LayerPrefix + layer + "." + module;
        return null;
    }
}
