using System.Security.Cryptography;

namespace Thaw.IO;

/// <summary>
/// Outputs are written to a temporary sibling (same folder, so the final rename stays on one file system and is
/// atomic) and renamed into place only when complete. An existing output is replaced only when asked (--force).
/// Temporary names carry the writing process's id, so a run killed outright (SIGKILL, power loss) leaves nothing
/// the next run to the same output does not remove.
/// </summary>
public static partial class AtomicOutput
{
    private const string TempMarker = ".thaw-tmp-";
    private const string DisplacedMarker = ".thaw-old-";

    /// <summary>
    /// Starts a single-file output: checks that <paramref name="path"/> may be written, creates its parent folder
    /// and reserves a temporary sibling path (the file itself is not created).
    /// </summary>
    public static PendingOutput BeginFile(string path, bool overwrite)
    {
        var full = Prepare(path, isDirectory: false, overwrite);
        return new PendingOutput(full, TempSiblingPath(full), isDirectory: false, overwrite);
    }

    /// <summary>Starts a folder output: like <see cref="BeginFile"/>, and creates the (empty) temporary folder.</summary>
    public static PendingOutput BeginDirectory(string path, bool overwrite)
    {
        var full = Prepare(path, isDirectory: true, overwrite);
        var temp = TempSiblingPath(full);
        try
        {
            Directory.CreateDirectory(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(OutputError.CommitFailed, full, $"cannot create the temporary folder '{temp}': {e.Message}", e);
        }
        return new PendingOutput(full, temp, isDirectory: true, overwrite);
    }

    /// <summary>Writes a small file atomically (index files, JSON).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool overwrite)
    {
        using var pending = BeginFile(path, overwrite);
        using (var stream = new FileStream(pending.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        pending.Commit();
    }

    /// <summary>A hidden, unique path next to <paramref name="path"/>: "dir/.name.thaw-tmp-PID-1a2b3c4d5e6f".</summary>
    public static string TempSiblingPath(string path) => SiblingPath(path, TempMarker);

    /// <summary>
    /// Removes the temporary siblings of <paramref name="path"/> that processes no longer running left behind (a
    /// killed run); returns their paths. Never touches a displaced previous output (".thaw-old-"), which a run killed
    /// during --force's swap may leave as the only copy of the old output.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
            return [];
        var prefix = "." + Path.GetFileName(full) + TempMarker;
        var removed = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory, prefix + "*"))
        {
            var rest = Path.GetFileName(entry)[prefix.Length..];
            if (TempSuffix().Match(rest) is { Success: true } match && int.TryParse(match.Groups["pid"].ValueSpan, out var pid) && !IsRunning(pid))
            {
                DeleteQuietly(entry);
                removed.Add(entry);
            }
        }
        return removed;
    }

    private static string SiblingPath(string path, string marker)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
        return Path.Combine(directory, $".{name}{marker}{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
            return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<pid>[0-9]{1,10})-[0-9a-f]{12}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex TempSuffix();

    internal static void CommitFile(string tempPath, string finalPath, bool overwrite)
    {
        CheckTarget(finalPath, isDirectory: false, overwrite);
        try
        {
            // rename(2): atomic, and replaces an existing file only when overwrite is set.
            File.Move(tempPath, finalPath, overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(File.Exists(finalPath) && !overwrite ? OutputError.AlreadyExists : OutputError.CommitFailed,
                finalPath, $"cannot move the finished file '{tempPath}' into place: {e.Message}", e);
        }
    }

    internal static void CommitDirectory(string tempPath, string finalPath, bool overwrite)
    {
        CheckTarget(finalPath, isDirectory: true, overwrite);
        // A folder cannot be renamed over another one: move the old one aside first, delete it after.
        string? displaced = null;
        try
        {
            if (Directory.Exists(finalPath))
            {
                displaced = SiblingPath(finalPath, DisplacedMarker);
                Directory.Move(finalPath, displaced);
            }
            Directory.Move(tempPath, finalPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (displaced is not null && !Directory.Exists(finalPath))
                TryRestore(displaced, finalPath);
            throw new OutputException(OutputError.CommitFailed, finalPath, $"cannot move the finished folder '{tempPath}' into place: {e.Message}", e);
        }
        if (displaced is not null)
            DeleteQuietly(displaced);
    }

    /// <summary>Deletes a temporary file or folder; failures are ignored because this runs while unwinding.</summary>
    internal static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
            else
                File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the hidden ".thaw-tmp-" name marks what is left as safe to delete (the next run does).
        }
    }

    private static string Prepare(string path, bool isDirectory, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        CheckTarget(full, isDirectory, overwrite);
        RemoveStaleTemporaries(full);
        var parent = Path.GetDirectoryName(full);
        if (parent is null)
            throw new OutputException(OutputError.WrongKind, full, "the output cannot be a file-system root; name a file or folder inside it");
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(OutputError.CommitFailed, full, $"cannot create the parent folder '{parent}': {e.Message}", e);
        }
        return full;
    }

    private static void CheckTarget(string finalPath, bool isDirectory, bool overwrite)
    {
        var fileExists = File.Exists(finalPath);
        var directoryExists = Directory.Exists(finalPath);
        if (isDirectory ? fileExists : directoryExists)
        {
            throw new OutputException(OutputError.WrongKind, finalPath,
                $"exists and is a {(fileExists ? "file" : "folder")}, but the output is a {(isDirectory ? "folder" : "file")}; choose another output path");
        }
        if ((fileExists || directoryExists) && !overwrite)
            throw new OutputException(OutputError.AlreadyExists, finalPath, "already exists; pass --force to replace it or choose another output path");
    }

    private static void TryRestore(string displaced, string finalPath)
    {
        try
        {
            Directory.Move(displaced, finalPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original output stays under its hidden displaced name; the error reported to the caller stands.
        }
    }
}
