using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Torch;

/// <summary>A PyTorch checkpoint was refused; <see cref="Reason"/> says which rule it broke.</summary>
public sealed class TorchCheckpointException : ThawException
{
    public TorchCheckpointException(TorchCheckpointError reason, string? filePath, string? tensorName, string detail)
        : base(filePath, tensorName, detail)
    {
        Reason = reason;
    }

    /// <summary>The rule that was broken.</summary>
    public TorchCheckpointError Reason { get; }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(TorchCheckpointError reason, string filePath, string detail) =>
        throw new TorchCheckpointException(reason, filePath, null, detail);

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(TorchCheckpointError reason, string filePath, string? tensorName, string detail) =>
        throw new TorchCheckpointException(reason, filePath, tensorName, detail);
}
