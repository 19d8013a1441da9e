namespace Thaw.Models;

/// <summary>What Thaw knows about one model type: tensor names, weight layout and, for VLMs, the sub-configs.</summary>
public sealed record ArchitectureInfo
{
    public required string ModelType { get; init; }

    /// <summary>Embedding / lm_head names, one entry per checkpoint layout, most recent first.</summary>
    public required IReadOnlyList<EmbeddingLayout> EmbeddingLayouts { get; init; }

    /// <summary>
    /// Module-name suffixes of GPT-2 style Conv1D layers, whose weights are stored [in_features, out_features]
    /// (transposed relative to nn.Linear). Empty for architectures built from nn.Linear only.
    /// </summary>
    public IReadOnlyList<string> Conv1DModules { get; init; } = [];

    /// <summary>Tensor-name prefixes of the vision tower and the multimodal projector (every layout). Empty for text-only models.</summary>
    public IReadOnlyList<string> VisionPrefixes { get; init; } = [];

    /// <summary>For a VLM: the model_type its text_config gets when it names none.</summary>
    public string? TextModelType { get; init; }

    /// <summary>For a VLM: true when the text config class ignores text_config's own model_type (mllama).</summary>
    public bool TextModelTypeIsFixed { get; init; }

    /// <summary>For a VLM: true when 4.x configs keep the text fields at the top level instead of in text_config (qwen2_vl).</summary>
    public bool TextFieldsMayBeTopLevel { get; init; }

    /// <summary>For a VLM: the model_type its vision_config gets when it names none.</summary>
    public string? VisionModelType { get; init; }

    public bool UsesConv1D => Conv1DModules.Count > 0;

    public bool IsVisionLanguageModel => VisionPrefixes.Count > 0;

    /// <summary>True when <paramref name="tensorName"/> is the weight of a Conv1D layer (stored [in, out]).</summary>
    public bool IsConv1DWeight(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        const string suffix = ".weight";
        if (!tensorName.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        var module = tensorName[..^suffix.Length];
        return Conv1DModules.Any(m => module == m || module.EndsWith("." + m, StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="tensorName"/> belongs to the vision tower or the projector.</summary>
    public bool IsVisionTensor(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        return VisionPrefixes.Any(p => tensorName.StartsWith(p, StringComparison.Ordinal));
    }
}
