using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Safetensors;

/// <summary>A safetensors file, index or write broke a rule of the format.</summary>
public sealed class SafetensorsException : ThawException<SafetensorsError>
{
    public SafetensorsException(SafetensorsError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(SafetensorsError reason, string? filePath, string? tensorName, string detail, Exception? inner = null) =>
        throw new SafetensorsException(reason, filePath, tensorName, detail, inner);
}
