namespace Thaw.IO;

/// <summary>An output file or folder could not be created or put in place.</summary>
public sealed class OutputException : ThawException
{
    public OutputException(OutputError reason, string path, string detail, Exception? inner = null)
        : base(path, null, detail, inner)
    {
        Reason = reason;
    }

    /// <summary>The rule that was broken.</summary>
    public OutputError Reason { get; }
}
