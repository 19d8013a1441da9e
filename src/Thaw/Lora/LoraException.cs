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
}

/// <summary>An adapter file or config Thaw cannot use.</summary>
public sealed class LoraException : ThawException<LoraError>
{
    public LoraException(LoraError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }
}
