namespace Thaw.Pipeline;

/// <summary>Free disk space where an output will be written.</summary>
public static class FreeSpace
{
    /// <summary>
    /// Bytes available to this user on the file system that holds <paramref name="path"/> (or, while it does not
    /// exist yet, its nearest existing ancestor); null when the system cannot tell.
    /// </summary>
    public static long? Available(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = new DirectoryInfo(Path.GetFullPath(path));
        while (directory is not null && !directory.Exists)
            directory = directory.Parent;
        if (directory is null)
            return null;
        try
        {
            return new DriveInfo(directory.FullName).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
