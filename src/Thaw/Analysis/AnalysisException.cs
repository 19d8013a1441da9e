using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Analysis;

/// <summary>A model, imatrix or budget that <c>thaw analyze</c> / <c>thaw quantize --dynamic</c> cannot work with.</summary>
public sealed class AnalysisException : ThawException<AnalysisError>
{
    public AnalysisException(AnalysisError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(AnalysisError reason, string? filePath, string? tensorName, string detail) =>
        throw new AnalysisException(reason, filePath, tensorName, detail);
}
