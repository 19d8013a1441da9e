namespace Thaw.IO;

/// <summary>An output file or folder could not be created or put in place.</summary>
public sealed class OutputException : ThawException<OutputError>
{
    public OutputException(OutputError reason, string path, string detail, Exception? inner = null)
        : base(reason, path, null, detail, inner)
    {
    }
}
