namespace Thaw.Tensors;

/// <summary>An error about tensor data itself: its dtype or its values.</summary>
public sealed class TensorException : ThawException
{
    public TensorException(TensorErrorReason reason, string detail, string? filePath = null, string? tensorName = null)
        : base(filePath, tensorName, detail)
    {
        Reason = reason;
    }

    /// <summary>The rule that was broken, for programs and tests.</summary>
    public TensorErrorReason Reason { get; }
}
