namespace Thaw.Lora;

/// <summary>Why an adapter cannot be used.</summary>
public enum LoraError
{
    /// <summary>adapter_config.json is not valid JSON or a field has the wrong type.</summary>
    BadConfig,
    /// <summary>The folder holds no adapter_config.json or no adapter weights.</summary>
    NotAnAdapter,
    /// <summary>The adapter uses a feature whose merge Thaw refuses (it would be wrong or is not reproducible).</summary>
    RefusedFeature,
    /// <summary>A tensor name in the adapter file matches none of the PEFT key forms Thaw knows.</summary>
    UnrecognizedKey,
    /// <summary>Two keys name the same tensor once adapter names and wrapper prefixes are removed.</summary>
    DuplicateKey,
    /// <summary>An adapter tensor has zero elements (a ZeRO-3 save without gathered parameters).</summary>
    EmptyTensor,
    /// <summary>A module has lora_A without lora_B (or the reverse), or a magnitude/bias without both.</summary>
    IncompleteModule,
    /// <summary>A LoRA tensor's shape is not a LoRA shape, or lora_A and lora_B disagree on the rank.</summary>
    BadShape,
    /// <summary>An adapter tensor is not stored as floating point.</summary>
    NotFloat,
    /// <summary>A merge would produce NaN or Inf (PEFT's safe_merge check), or a value beyond the output dtype's range.</summary>
    NonFiniteResult,
    /// <summary>The adapter does not apply cleanly to the base (the errors <c>thaw doctor</c> reports), so nothing is merged.</summary>
    MergeRefused,
    /// <summary>The merge options do not fit the inputs (an adapter weight on DoRA, --into original with a 16-bit base, ...).</summary>
    BadMergeRequest,
}

/// <summary>An adapter file or config Thaw cannot use.</summary>
public sealed class LoraException : ThawException<LoraError>
{
    public LoraException(LoraError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }
}
