using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Pipeline;

/// <summary>A plan that cannot run: not enough disk space or memory, or an output that would clobber an input.</summary>
public sealed class PipelineException : ThawException<PipelineError>
{
    public PipelineException(PipelineError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(PipelineError reason, string? filePath, string? tensorName, string detail) =>
        throw new PipelineException(reason, filePath, tensorName, detail);
}
