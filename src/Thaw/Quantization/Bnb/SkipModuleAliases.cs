using Thaw.Models;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The other spelling of a vision-language model's module names. transformers 4.x names a VLM's modules
/// "language_model.model.layers.N", "vision_tower...", "multi_modal_projector..." (Qwen2-VL: "model.layers.N",
/// "visual..."); transformers 5 moves them under "model." ("model.language_model.layers.N", "model.vision_tower...",
/// "model.visual..."), and its skip matching is anchored at the start of the name, so an llm_int8_skip_modules entry
/// written in one spelling misses the module in the other (spec A.3). Listing both keeps the module in 16 bits under
/// either version. Text models have one spelling.
/// </summary>
public static class SkipModuleAliases
{
    private const string OldLanguage = "language_model.model.";
    private const string NewLanguage = "model.language_model.";
    private const string OldLmHead = "language_model.lm_head";
    private const string ModelPrefix = "model.";

    /// <summary><paramref name="modules"/> followed by the aliases not already listed (none for text models).</summary>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> modules, ArchitectureInfo? architecture)
    {
        ArgumentNullException.ThrowIfNull(modules);
        if (architecture is not { IsVisionLanguageModel: true })
            return modules;
        var listed = modules.ToHashSet(StringComparer.Ordinal);
        var result = modules.ToList();
        foreach (var module in modules)
        {
            if (Alias(module, architecture) is { } alias && listed.Add(alias))
                result.Add(alias);
        }
        return result;
    }

    /// <summary>The module's name in the other transformers version, or null when it is the same.</summary>
    public static string? Alias(string module, ArchitectureInfo architecture)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(architecture);
        if (module.StartsWith(OldLanguage, StringComparison.Ordinal))
            return NewLanguage + module[OldLanguage.Length..];
        // Qwen2-VL-style models kept the language model at the top (model.layers.N) in 4.x.
        var topLevelLanguage = architecture.VisionPrefixes.Contains("visual.");
        if (module.StartsWith(NewLanguage, StringComparison.Ordinal))
            return (topLevelLanguage ? ModelPrefix : OldLanguage) + module[NewLanguage.Length..];
        if (module == OldLmHead)
            return "lm_head";
        if (architecture.IsVisionTensor(module + "."))
            return module.StartsWith(ModelPrefix, StringComparison.Ordinal) && architecture.IsVisionTensor(module[ModelPrefix.Length..] + ".")
                ? module[ModelPrefix.Length..]
                : ModelPrefix + module;
        if (topLevelLanguage && module.StartsWith("model.layers.", StringComparison.Ordinal))
            return NewLanguage + module[ModelPrefix.Length..];
        return null;
    }
}
