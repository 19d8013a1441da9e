namespace Thaw.IO;

/// <summary>Why an output could not be put in place.</summary>
public enum OutputError
{
    /// <summary>The output path exists and replacing it was not asked for (no --force).</summary>
    AlreadyExists,

    /// <summary>The output path exists as a directory where a file is written, or the other way round.</summary>
    WrongKind,

    /// <summary>The temporary output could not be created or renamed into place.</summary>
    CommitFailed,
}
