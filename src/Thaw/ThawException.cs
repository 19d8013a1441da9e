namespace Thaw;

/// <summary>
/// Base of every error Thaw reports about its inputs or outputs. Each area (safetensors, torch, models, ...)
/// derives one exception type carrying a machine-readable reason code; the message is one line naming the
/// file, the tensor (when there is one) and the rule that was broken.
/// </summary>
public abstract class ThawException : Exception
{
    protected ThawException(string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(Compose(filePath, tensorName, detail), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Detail = detail;
    }

    /// <summary>The file the error is about, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>The tensor the error is about, when there is one.</summary>
    public string? TensorName { get; }

    /// <summary>The rule that was broken, without the file and tensor prefix.</summary>
    public string Detail { get; }

    private static string Compose(string? filePath, string? tensorName, string detail)
    {
        var prefix = (filePath, tensorName) switch
        {
            (null, null) => "",
            (not null, null) => $"{filePath}: ",
            (null, not null) => $"tensor '{tensorName}': ",
            _ => $"{filePath}: tensor '{tensorName}': ",
        };
        return prefix + detail;
    }
}

/// <summary>A <see cref="ThawException"/> of one area, with that area's machine-readable reason code.</summary>
/// <typeparam name="TReason">The area's enum of broken rules.</typeparam>
public abstract class ThawException<TReason> : ThawException
    where TReason : struct, Enum
{
    protected ThawException(TReason reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(filePath, tensorName, detail, inner) => Reason = reason;

    /// <summary>The rule that was broken, for programs and tests.</summary>
    public TReason Reason { get; }
}
