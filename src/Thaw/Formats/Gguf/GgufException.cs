using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Gguf;

/// <summary>A GGUF file, metadata value or write broke a rule of the format (or of llama.cpp's reader).</summary>
public sealed class GgufException : ThawException<GgufError>
{
    public GgufException(GgufError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(GgufError reason, string? filePath, string? tensorName, string detail) =>
        throw new GgufException(reason, filePath, tensorName, detail);
}
