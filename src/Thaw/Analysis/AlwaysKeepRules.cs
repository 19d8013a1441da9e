namespace Thaw.Analysis;

/// <summary>
/// The modules kept in 16 bits whatever their error: heads, projectors, routers and towers on the list Unsloth keeps
/// (unsloth_zoo SKIP_QUANTIZATION_MODULES, spec A.2), matched as a run of whole name segments ("mlp.gate" matches
/// "model.layers.0.mlp.gate" but not "mlp.gate_proj"), and Linear weights whose in_features the blocksize does not
/// divide (their blocks would straddle rows of different scale).
/// </summary>
public static class AlwaysKeepRules
{
    /// <summary>The skip list, in Unsloth's order.</summary>
    public static readonly IReadOnlyList<string> SkipList =
    [
        "lm_head", "multi_modal_projector", "merger", "modality_projection", "router", "mlp.gate", "block_sparse_moe.gate", "mamba",
        "audio_tower", "vision_tower", "vision_embedder", "embed_vision", "embed_audio", "score", "classifier", "qa_outputs",
    ];

    /// <summary>Why <paramref name="module"/> is always kept, or null.</summary>
    public static (KeepReason Reason, string Detail)? Check(string module, long inFeatures, int blocksize)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var entry in SkipList)
        {
            if (MatchesSegments(module, entry))
                return (KeepReason.SkipList, $"matches '{entry}' on the always-keep list of heads, projectors and routers");
        }
        if (inFeatures % blocksize != 0)
            return (KeepReason.Blocksize, $"in_features {inFeatures} is not a multiple of the blocksize {blocksize}");
        return null;
    }

    /// <summary>Whether the dot-separated segments of <paramref name="segments"/> occur as a run in <paramref name="module"/>.</summary>
    public static bool MatchesSegments(string module, string segments)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(segments);
        return ("." + module + ".").Contains("." + segments.Trim('.') + ".", StringComparison.Ordinal);
    }
}
