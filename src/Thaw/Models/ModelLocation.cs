namespace Thaw.Models;

/// <summary>Whether a located model is a folder of files or one tensor file.</summary>
public enum ModelLocationKind
{
    Folder,
    File,
}

/// <summary>
/// Where a model argument led: a folder (a local model folder or a hub cache snapshot) or a single tensor file.
/// </summary>
/// <param name="Input">The argument as given.</param>
/// <param name="Kind">Folder or file.</param>
/// <param name="Path">The absolute path of the folder or file.</param>
/// <param name="HubId">The hub id when the model was found in the local hub cache.</param>
public sealed record ModelLocation(string Input, ModelLocationKind Kind, string Path, HubId? HubId = null)
{
    /// <summary>A location for a path that is known to exist; the kind is taken from the file system.</summary>
    public static ModelLocation ForExistingPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        return new ModelLocation(path, Directory.Exists(full) ? ModelLocationKind.Folder : ModelLocationKind.File, full);
    }
}
