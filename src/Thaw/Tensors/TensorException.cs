namespace Thaw.Tensors;

/// <summary>An error about tensor data itself: its dtype or its values.</summary>
public sealed class TensorException : ThawException<TensorErrorReason>
{
    public TensorException(TensorErrorReason reason, string detail, string? filePath = null, string? tensorName = null)
        : base(reason, filePath, tensorName, detail)
    {
    }
}
