using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Models;

/// <summary>A model folder, hub id, config or shard index that Thaw cannot use.</summary>
public sealed class ModelException : ThawException<ModelError>
{
    public ModelException(ModelError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(ModelError reason, string? filePath, string detail, Exception? inner = null) =>
        throw new ModelException(reason, filePath, null, detail, inner);

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void ThrowForTensor(ModelError reason, string? filePath, string tensorName, string detail) =>
        throw new ModelException(reason, filePath, tensorName, detail);
}
