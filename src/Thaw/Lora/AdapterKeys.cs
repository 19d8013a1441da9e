using System.Text.RegularExpressions;

namespace Thaw.Lora;

/// <summary>What one adapter tensor is, once its key is normalized.</summary>
public enum AdapterTensorRole
{
    /// <summary><c>&lt;m&gt;.lora_A.weight</c>: A of a Linear/Conv LoRA, [r, in].</summary>
    LoraA,
    /// <summary><c>&lt;m&gt;.lora_B.weight</c>: B of a Linear/Conv LoRA, [out, r].</summary>
    LoraB,
    /// <summary><c>&lt;m&gt;.lora_B.bias</c>: a LoRA bias (lora_bias=True).</summary>
    LoraBBias,
    /// <summary><c>&lt;m&gt;.lora_embedding_A</c>: A of an Embedding LoRA, [r, vocab].</summary>
    EmbeddingA,
    /// <summary><c>&lt;m&gt;.lora_embedding_B</c>: B of an Embedding LoRA, [dim, r].</summary>
    EmbeddingB,
    /// <summary><c>&lt;m&gt;.lora_magnitude_vector</c>: the DoRA magnitude.</summary>
    Magnitude,
    /// <summary>A full tensor that replaces the base tensor it names (modules_to_save, saved embeddings, biases).</summary>
    Replacement,
    /// <summary><c>&lt;emb&gt;.token_adapter.trainable_tokens_delta</c>: trained embedding rows.</summary>
    TrainableTokens,
    /// <summary>A stale copy of a base module (<c>.original_module.</c>) that PEFT never loads.</summary>
    Ignored,
}

/// <summary>A normalized adapter key: the module (or, for a replacement, the base tensor) it belongs to and its role.</summary>
public sealed record AdapterKey(string Module, AdapterTensorRole Role);

/// <summary>
/// Turns the tensor names found in adapter files into PEFT's saved form and classifies them
/// (spec/peft-lora.md §2.1-2.2). Each rule is a separate method so each can be tested on its own.
/// </summary>
public static partial class AdapterKeys
{
    private const string PeftPrefix = "base_model.model.";

    // Wrappers that training frameworks put around modules: torch.compile, DataParallel/DDP, FSDP, activation checkpointing.
    private static readonly string[] InnerWrapperSegments = ["_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module"];

    /// <summary>Applies every rule: wrapper prefixes, the PEFT prefix, adapter names.</summary>
    public static string Normalize(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return StripAdapterName(StripPeftPrefix(StripWrappers(key)));
    }

    /// <summary>
    /// Removes <c>module.</c> at the start (DataParallel/DDP) and every <c>_orig_mod.</c>, <c>_fsdp_wrapped_module.</c>
    /// and <c>_checkpoint_wrapped_module.</c> segment (they wrap inner layers too). A <c>module</c> segment further in
    /// is kept: models may name a submodule that.
    /// </summary>
    public static string StripWrappers(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = key.Split('.').Where(s => !InnerWrapperSegments.Contains(s, StringComparer.Ordinal)).ToList();
        while (segments.Count > 1 && segments[0] == "module")
            segments.RemoveAt(0);
        return string.Join('.', segments);
    }

    /// <summary>
    /// Removes the <c>base_model.model.</c> prefix PEFT writes (transformers without save_peft_format writes none), and
    /// whatever wraps it in a training checkpoint's state dict (<c>model.base_model.model.</c> from a trainer's wrapper).
    /// </summary>
    public static string StripPeftPrefix(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(PeftPrefix, StringComparison.Ordinal))
            return key[PeftPrefix.Length..];
        var inner = key.IndexOf("." + PeftPrefix, StringComparison.Ordinal);
        return inner >= 0 ? key[(inner + 1 + PeftPrefix.Length)..] : key;
    }

    /// <summary>True for a key of a trained full copy (<c>.modules_to_save.&lt;adapter&gt;.</c>), before normalization.</summary>
    public static bool IsModulesToSaveKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Contains(".modules_to_save.", StringComparison.Ordinal);
    }

    /// <summary>
    /// Removes the adapter name that in-memory state dicts carry (<c>.lora_A.default.weight</c> → <c>.lora_A.weight</c>,
    /// <c>.lora_embedding_A.default</c>, <c>.lora_magnitude_vector.default.weight</c>, <c>.modules_to_save.default.weight</c>,
    /// <c>.trainable_tokens_delta.default</c>), and the <c>.weight</c> PEFT adds to the DoRA magnitude in memory.
    /// </summary>
    public static string StripAdapterName(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (NamedLinear().Match(key) is { Success: true } linear)
            return $"{linear.Groups["m"].Value}.{linear.Groups["t"].Value}.{linear.Groups["p"].Value}";
        if (NamedEmbedding().Match(key) is { Success: true } embedding)
            return $"{embedding.Groups["m"].Value}.{embedding.Groups["t"].Value}";
        if (Magnitude().Match(key) is { Success: true } magnitude)
            return $"{magnitude.Groups["m"].Value}.lora_magnitude_vector";
        if (NamedModulesToSave().Match(key) is { Success: true } saved)
            return $"{saved.Groups["m"].Value}.{saved.Groups["p"].Value}";
        if (NamedTokens().Match(key) is { Success: true } tokens)
            return $"{tokens.Groups["m"].Value}.token_adapter.trainable_tokens_delta";
        return key;
    }

    /// <summary>Classifies a normalized key; null when it is none of the forms PEFT saves.</summary>
    public static AdapterKey? Classify(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Contains(".original_module.", StringComparison.Ordinal) || key.StartsWith("original_module.", StringComparison.Ordinal))
            return new(key, AdapterTensorRole.Ignored);
        foreach (var (suffix, role) in Suffixes)
        {
            if (key.Length > suffix.Length && key.EndsWith(suffix, StringComparison.Ordinal))
                return new(key[..^suffix.Length], role);
        }
        if (BaseLayerReplacement().Match(key) is { Success: true } baseLayer)
            return IsPlainModulePath(baseLayer.Groups["m"].Value)
                ? new($"{baseLayer.Groups["m"].Value}.{baseLayer.Groups["p"].Value}", AdapterTensorRole.Replacement)
                : null;
        if ((key.EndsWith(".weight", StringComparison.Ordinal) || key.EndsWith(".bias", StringComparison.Ordinal)) && IsPlainModulePath(key))
            return new(key, AdapterTensorRole.Replacement);
        return null;
    }

    private static readonly (string Suffix, AdapterTensorRole Role)[] Suffixes =
    [
        (".lora_A.weight", AdapterTensorRole.LoraA),
        (".lora_B.weight", AdapterTensorRole.LoraB),
        (".lora_B.bias", AdapterTensorRole.LoraBBias),
        (".lora_embedding_A", AdapterTensorRole.EmbeddingA),
        (".lora_embedding_B", AdapterTensorRole.EmbeddingB),
        (".lora_magnitude_vector", AdapterTensorRole.Magnitude),
        (".token_adapter.trainable_tokens_delta", AdapterTensorRole.TrainableTokens),
    ];

    // A full tensor of a plain module: no segment belongs to a PEFT wrapper (lora_*, base_layer, modules_to_save, token_adapter).
    private static bool IsPlainModulePath(string path) =>
        !path.Split('.').Any(s => s.StartsWith("lora_", StringComparison.Ordinal) || s is "base_layer" or "modules_to_save" or "token_adapter");

    [GeneratedRegex(@"^(?<m>.+)\.(?<t>lora_A|lora_B)\.(?!weight$|bias$)[^.]+\.(?<p>weight|bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedLinear();

    [GeneratedRegex(@"^(?<m>.+)\.(?<t>lora_embedding_A|lora_embedding_B)\.[^.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedEmbedding();

    [GeneratedRegex(@"^(?<m>.+)\.lora_magnitude_vector(\.[^.]+)?(\.weight)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Magnitude();

    [GeneratedRegex(@"^(?<m>.+)\.modules_to_save\.[^.]+\.(?<p>weight|bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedModulesToSave();

    [GeneratedRegex(@"^(?<m>.+)\.token_adapter\.trainable_tokens_delta\.[^.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedTokens();

    [GeneratedRegex(@"^(?<m>.+)\.base_layer\.(?<p>weight|bias)$", RegexOptions.CultureInvariant)]
    private static partial Regex BaseLayerReplacement();
}
