using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Thaw.Models;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Lora;

/// <summary>
/// Checks an adapter against a base model without merging: every module matched to a base tensor with fitting
/// shapes, finite non-trivial values, and the config features and base choice that change what a merge means
/// (spec/peft-lora.md §2.3, §9, §10). Errors mean the adapter would not apply cleanly.
/// </summary>
public sealed class AdapterDiagnosis
{
    private AdapterDiagnosis(IReadOnlyList<ModuleDiagnosis> modules, IReadOnlyList<AdapterFinding> findings)
    {
        Modules = modules;
        Findings = findings;
    }

    public IReadOnlyList<ModuleDiagnosis> Modules { get; }

    /// <summary>Errors first, then warnings; each group in the order found.</summary>
    public IReadOnlyList<AdapterFinding> Findings { get; }

    public bool HasErrors => Findings.Any(f => f.Severity == FindingSeverity.Error);

    /// <summary>Refuses to use the adapter when the diagnosis found errors, stating the first and how many more.</summary>
    /// <param name="adapterFolder">Named in the error.</param>
    /// <param name="consequence">What is not done ("nothing was merged").</param>
    /// <exception cref="LoraException"><see cref="LoraError.MergeRefused"/>, when there are errors.</exception>
    public void ThrowIfErrors(string adapterFolder, string consequence)
    {
        var errors = Findings.Where(f => f.Severity == FindingSeverity.Error).ToList();
        if (errors.Count == 0)
            return;
        var first = errors[0];
        var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        throw new LoraException(LoraError.MergeRefused, adapterFolder, null,
            $"{first.Code}{(first.Module is null ? "" : $" at {first.Module}")}: {first.Message}{more}; {consequence} (run 'thaw doctor' for every finding)");
    }

    /// <summary>
    /// Diagnoses <paramref name="adapter"/> against <paramref name="model"/>; <paramref name="baseName"/> is how the user
    /// named the base (path or hub id), compared with base_model_name_or_path. Without <paramref name="baseNorms"/>
    /// the base weights are not read (a merge reads them anyway), so ||W|| and the ratios stay null.
    /// </summary>
    public static AdapterDiagnosis Diagnose(LoraAdapter adapter, HfModel model, string baseName, bool baseNorms = true)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(baseName);
        var findings = new List<AdapterFinding>();
        var config = adapter.Config;
        foreach (var refused in config.RefusedFeatures)
            findings.Add(new(FindingSeverity.Error, FindingCodes.RefusedFeature, null, $"{refused.Field}: {refused.Reason}"));
        var matched = new HashSet<string>(StringComparer.Ordinal);
        var modules = adapter.Modules.Select(m => DiagnoseModule(adapter, model, m, baseNorms, matched, findings)).ToList();
        CheckReplacements(adapter, model, findings);
        CheckTargetedModules(config, model, matched, findings);
        CheckBaseChoice(config, model, baseName, findings);
        var ordered = findings.Where(f => f.Severity == FindingSeverity.Error).Concat(findings.Where(f => f.Severity != FindingSeverity.Error)).ToList();
        return new AdapterDiagnosis(modules, ordered);
    }

    private static ModuleDiagnosis DiagnoseModule(LoraAdapter adapter, HfModel model, LoraModule module, bool baseNorms, HashSet<string> matched, List<AdapterFinding> findings)
    {
        void Add(FindingSeverity severity, string code, string message) => findings.Add(new(severity, code, module.Path, message));

        // PEFT refuses to load such a file; the scaling alpha/r would be a guess, so the merge refuses too.
        if (module.Rank != module.ConfigRank)
            Add(FindingSeverity.Error, FindingCodes.RankDiffersFromConfig,
                $"tensors have rank {module.Rank} but the config (r / rank_pattern, or --lora-r) says {module.ConfigRank}, so the scaling alpha/r is ambiguous; fix r or rank_pattern in adapter_config.json (or --lora-r) to the rank the tensors have");
        if (module.BBias is not null && !adapter.Config.LoraBias)
            Add(FindingSeverity.Warning, FindingCodes.LoraBiasIgnored, "has lora_B.bias but the config has lora_bias=false, so PEFT ignores it (mergekit writes such files)");
        var match = BaseTensorMatch.Find(model, module.Path + ".weight");
        var diagnosis = new ModuleDiagnosis(module.Path, module.Kind, module.Magnitude is not null, match?.Tensor.Name, module.Rank, module.Alpha, module.Scaling, null, null);
        if (match is null)
        {
            Add(FindingSeverity.Error, FindingCodes.UnmatchedModule,
                $"no base tensor '{module.Path}.weight' (nor a known rename of it); the adapter was trained on a model with other module names, or the keys need renaming");
            return diagnosis;
        }
        matched.Add(match.Tensor.Name);
        if (match.ViaTiedEmbedding)
            Add(FindingSeverity.Warning, FindingCodes.TiedEmbedding,
                $"lm_head is tied to '{match.Tensor.Name}': merging puts this delta into the input embedding as well");
        // A saved copy of the weight (a resized embedding or lm_head) replaces the base's before the delta, so it sets the shape.
        var replacement = adapter.Replacements.FirstOrDefault(r => r.TargetTensor == module.Path + ".weight"
            || (!match.ViaTiedEmbedding && BaseTensorMatch.Find(model, r.TargetTensor) is { ViaTiedEmbedding: false } same && same.Tensor.Name == match.Tensor.Name));
        var weight = replacement is null ? (match.Tensor.Name, match.Tensor.Shape, match.Tensor.ShapeText) : (match.Tensor.Name, replacement.Tensor.Shape, replacement.Tensor.ShapeText);
        if (ShapeProblem(model, module, weight) is { } problem)
        {
            Add(FindingSeverity.Error, FindingCodes.ShapeMismatch, problem);
            return diagnosis;
        }
        if (module.BBias is not null && adapter.Config.LoraBias && BaseTensorMatch.Find(model, module.Path + ".bias") is null)
            Add(FindingSeverity.Error, FindingCodes.MissingBaseBias, "lora_bias adds scaling·lora_B.bias to the base bias, but the base layer has no bias");
        using var a = PooledValues.Read(adapter, module.A);
        using var b = PooledValues.Read(adapter, module.B);
        var finite = NonFiniteValues.AllFinite(a.Span) && NonFiniteValues.AllFinite(b.Span);
        foreach (var extra in new[] { module.Magnitude, module.BBias })
        {
            if (extra is not null && !NonFiniteValues.AllFinite(adapter.ReadValues(extra)))
                finite = false;
        }
        if (!finite)
        {
            Add(FindingSeverity.Error, FindingCodes.NonFinite, "holds NaN or Inf values; training diverged or the file is damaged");
            return diagnosis;
        }
        // With DoRA a zero B still rescales each row to the trained magnitude, so only plain LoRA is a no-op.
        if (!b.Span.ContainsAnyExcept(0f) && module.Magnitude is null)
            Add(FindingSeverity.Error, FindingCodes.ZeroLoraB, "lora_B is all zeros, so the adapter changes nothing here (untrained, or saved before the first step)");
        var deltaNorm = LoraNorms.Delta(a.Span, b.Span, module.Rank, module.Scaling);
        if (!baseNorms)
            return diagnosis with { DeltaNorm = deltaNorm };
        double baseNorm;
        try
        {
            baseNorm = LoraNorms.Base(TensorRowSources.For(match.Tensor));
        }
        catch (ThawException e)
        {
            Add(FindingSeverity.Error, FindingCodes.BaseUnreadable, $"base tensor '{match.Tensor.Name}' cannot be read as values: {e.Message}");
            return diagnosis;
        }
        return diagnosis with { DeltaNorm = deltaNorm, BaseNorm = baseNorm };
    }

    // Linear: B [out, r], A [r, in] against W [out, in] (GPT-2 Conv1D stores [in, out], told by the architecture,
    // not by fan_in_fan_out, which PEFT overrides per layer); ConvNd: W [out, in, *k] against A [r, in, *k].
    // Embedding: W [vocab, dim], A [r, vocab], B [dim, r].
    private static string? ShapeProblem(HfModel model, LoraModule module, (string Name, ImmutableArray<long> Shape, string ShapeText) weight)
    {
        var w = weight.Shape;
        var a = module.A.Shape;
        var b = module.B.Shape;
        string Describe(string expected) =>
            $"A {module.A.ShapeText} and B {module.B.ShapeText} do not fit base '{weight.Name}' {weight.ShapeText}: {expected}; the adapter was trained for another model size";
        // DoRA magnitude ([out], or [1, out, 1, 1] for Conv) and lora_B.bias hold one value per output feature.
        foreach (var perOutput in new[] { module.Magnitude, module.BBias })
        {
            if (perOutput is not null && perOutput.ElementCount != b[0])
                return $"'{perOutput.Name}' {perOutput.ShapeText} must hold one value per output feature ({b[0]}, from B {module.B.ShapeText})";
        }
        if (module.Kind == LoraModuleKind.Embedding)
            return w.Length == 2 && a[1] == w[0] && b[0] == w[1] ? null : Describe("an embedding needs A [r, vocab] and B [dim, r]");
        if (w.Length != a.Length)
            return Describe($"A has {a.Length} dimensions, the weight {w.Length}");
        if (w.Length == 2)
        {
            var conv1D = model.Architecture?.IsConv1DWeight(weight.Name) == true;
            var (outFeatures, inFeatures) = conv1D ? (w[1], w[0]) : (w[0], w[1]);
            var layout = conv1D ? "Conv1D weight is [in, out]" : "Linear weight is [out, in]";
            return b[0] == outFeatures && a[1] == inFeatures ? null : Describe($"{layout}, so B needs {outFeatures} rows and A {inFeatures} columns");
        }
        return b[0] == w[0] && a.Skip(1).SequenceEqual(w.Skip(1)) ? null : Describe("a convolution needs B [out, r, 1, 1] and A [r, in, *kernel]");
    }

    private static void CheckReplacements(LoraAdapter adapter, HfModel model, List<AdapterFinding> findings)
    {
        foreach (var replacement in adapter.Replacements)
        {
            var match = BaseTensorMatch.Find(model, replacement.TargetTensor);
            findings.Add(match is null
                ? new(FindingSeverity.Warning, FindingCodes.AddsTensor, replacement.TargetTensor,
                    $"adapter carries full tensor '{replacement.Tensor.Name}' {replacement.Tensor.ShapeText} that the base lacks (a new head from modules_to_save?); a merge adds it")
                : new(FindingSeverity.Warning, FindingCodes.ReplacesTensor, replacement.TargetTensor,
                    $"adapter carries full tensor '{replacement.Tensor.Name}' {replacement.Tensor.ShapeText}; a merge replaces base '{match.Tensor.Name}' {match.Tensor.ShapeText} with the training base's copy"));
        }
        foreach (var tokens in adapter.TrainableTokens)
        {
            findings.Add(new(FindingSeverity.Warning, FindingCodes.TrainableTokens, tokens.Module,
                $"adapter carries {tokens.Tensor.Shape[0]} trained embedding rows (trainable_token_indices); a merge overwrites those rows"));
        }
    }

    // PEFT silently leaves targeted modules without keys at their init (B = 0): the adapter does nothing there.
    // layers_to_transform narrows targeting by layer index with version-dependent regexes; then no warning is guessed.
    private static void CheckTargetedModules(AdapterConfig config, HfModel model, HashSet<string> matched, List<AdapterFinding> findings)
    {
        if ((config.TargetModules is null && config.TargetModulesRegex is null) || config.HasLayersToTransform)
            return;
        const string suffix = ".weight";
        foreach (var tensor in model.Tensors)
        {
            if (!tensor.Name.EndsWith(suffix, StringComparison.Ordinal) || matched.Contains(tensor.Name))
                continue;
            var module = tensor.Name[..^suffix.Length];
            if (IsTargeted(config, module))
                findings.Add(new(FindingSeverity.Warning, FindingCodes.TargetedModuleMissing, module,
                    "the config targets this module but the adapter file has no LoRA tensors for it, so a merge leaves it unchanged"));
        }
    }

    // tuners_utils.py: exclude_modules first, then target_modules; modules_to_save (suffix match) are never LoRA-targeted.
    private static bool IsTargeted(AdapterConfig config, string module) =>
        !Matches(config.ExcludeModules, config.ExcludeModulesRegex, module)
        && !(config.ModulesToSave?.Any(m => module.EndsWith(m, StringComparison.Ordinal)) ?? false)
        && Matches(config.TargetModules, config.TargetModulesRegex, module);

    // A list matches the path or a "."-bounded suffix; a string is a fullmatch regex.
    private static bool Matches(IReadOnlyList<string>? list, string? regex, string module)
    {
        if (list is not null)
            return list.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));
        return regex is not null && Regex.IsMatch(module, $@"\A(?:{regex})\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static void CheckBaseChoice(AdapterConfig config, HfModel model, string baseName, List<AdapterFinding> findings)
    {
        if (config.BaseModelNameOrPath is { Length: > 0 } trainedOn)
        {
            if (trainedOn.Contains("bnb-4bit", StringComparison.OrdinalIgnoreCase))
                findings.Add(new(FindingSeverity.Warning, FindingCodes.TrainedOnQuantizedBase, null,
                    $"adapter was trained on '{trainedOn}', a 4-bit repository: merge it into that model's original 16-bit weights (or the dequantized 4-bit ones) and quantize afterwards"));
            else if (!SameName(trainedOn, baseName) && !SameName(trainedOn, model.Location.Path))
                findings.Add(new(FindingSeverity.Warning, FindingCodes.BaseModelDiffers, null,
                    $"adapter was trained on '{trainedOn}' but the base is '{baseName}'; shapes fit, but a different base gives a different model"));
        }
        if (model.Quantization is not null)
            findings.Add(new(FindingSeverity.Warning, FindingCodes.QuantizedBase, null,
                "base is quantized: ratios use its dequantized weights; merging into it and re-quantizing would round most of the delta away, so merge into a dequantized (16-bit) base"));
    }

    private static bool SameName(string a, string b)
    {
        static string Last(string s) => s.Replace('\\', '/').TrimEnd('/').Split('/')[^1].Split('@')[0];
        return string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
            || string.Equals(Last(a), Last(b), StringComparison.OrdinalIgnoreCase);
    }
}
