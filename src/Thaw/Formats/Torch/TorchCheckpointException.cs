using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Torch;

/// <summary>A PyTorch checkpoint was refused; <see cref="ThawException{TReason}.Reason"/> says which rule it broke.</summary>
public sealed class TorchCheckpointException : ThawException<TorchCheckpointError>
{
    public TorchCheckpointException(TorchCheckpointError reason, string? filePath, string? tensorName, string detail)
        : base(reason, filePath, tensorName, detail)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(TorchCheckpointError reason, string filePath, string detail) =>
        throw new TorchCheckpointException(reason, filePath, null, detail);

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(TorchCheckpointError reason, string filePath, string? tensorName, string detail) =>
        throw new TorchCheckpointException(reason, filePath, tensorName, detail);
}
