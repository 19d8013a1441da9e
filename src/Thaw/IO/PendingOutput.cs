namespace Thaw.IO;

/// <summary>
/// An output being written under a hidden temporary name next to its final path. <see cref="Commit"/> renames it
/// into place; disposing it uncommitted deletes it, so a failed or interrupted run leaves no partial output.
/// </summary>
public sealed class PendingOutput : IDisposable
{
    private bool _committed;

    internal PendingOutput(string finalPath, string tempPath, bool isDirectory, bool overwrite)
    {
        FinalPath = finalPath;
        TempPath = tempPath;
        IsDirectory = isDirectory;
        Overwrite = overwrite;
    }

    /// <summary>Where the output goes once complete (full path).</summary>
    public string FinalPath { get; }

    /// <summary>Where the output is written until then: a hidden sibling of <see cref="FinalPath"/>.</summary>
    public string TempPath { get; }

    /// <summary>True for a folder, false for a single file.</summary>
    public bool IsDirectory { get; }

    /// <summary>Whether an existing output at <see cref="FinalPath"/> is replaced (--force).</summary>
    public bool Overwrite { get; }

    /// <summary>Moves the finished output into place.</summary>
    /// <exception cref="OutputException">The final path appeared meanwhile (without overwrite) or the move failed.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        if (IsDirectory)
            AtomicOutput.CommitDirectory(TempPath, FinalPath, Overwrite);
        else
            AtomicOutput.CommitFile(TempPath, FinalPath, Overwrite);
        _committed = true;
    }

    /// <summary>Deletes the temporary output unless it was committed.</summary>
    public void Dispose()
    {
        if (!_committed)
        {
            _committed = true;
            AtomicOutput.DeleteQuietly(TempPath);
        }
    }
}
