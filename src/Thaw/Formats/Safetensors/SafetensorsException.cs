using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Safetensors;

/// <summary>A safetensors file, index or write broke a rule of the format.</summary>
public sealed class SafetensorsException : ThawException
{
    public SafetensorsException(SafetensorsError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(filePath, tensorName, detail, inner)
    {
        Reason = reason;
    }

    /// <summary>The rule that was broken.</summary>
    public SafetensorsError Reason { get; }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(SafetensorsError reason, string? filePath, string? tensorName, string detail, Exception? inner = null) =>
        throw new SafetensorsException(reason, filePath, tensorName, detail, inner);
}
