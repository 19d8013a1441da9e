namespace Thaw.Lora;

/// <summary>How bad a finding is: errors mean the adapter would not apply cleanly.</summary>
public enum FindingSeverity
{
    Warning,
    Error,
}

/// <summary>One thing <c>thaw doctor</c> found, with a stable snake_case <paramref name="Code"/>.</summary>
public sealed record AdapterFinding(FindingSeverity Severity, string Code, string? Module, string Message);

/// <summary>The stable finding codes (they appear in <c>thaw doctor --json</c>).</summary>
public static class FindingCodes
{
    public const string RefusedFeature = "refused_feature";
    public const string UnmatchedModule = "unmatched_module";
    public const string ShapeMismatch = "shape_mismatch";
    public const string NonFinite = "non_finite";
    public const string ZeroLoraB = "zero_lora_b";
    public const string BaseUnreadable = "base_unreadable";
    public const string MissingBaseBias = "missing_base_bias";
    public const string RankDiffersFromConfig = "rank_differs_from_config";
    public const string TargetedModuleMissing = "targeted_module_missing";
    public const string LoraBiasIgnored = "lora_bias_ignored";
    public const string TiedEmbedding = "tied_embedding";
    public const string ReplacesTensor = "replaces_tensor";
    public const string AddsTensor = "adds_tensor";
    public const string TrainableTokens = "trainable_tokens";
    public const string BaseModelDiffers = "base_model_differs";
    public const string TrainedOnQuantizedBase = "trained_on_quantized_base";
    public const string QuantizedBase = "quantized_base";
}
