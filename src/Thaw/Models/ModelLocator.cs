namespace Thaw.Models;

/// <summary>
/// Turns a model argument into a <see cref="ModelLocation"/>. Precedence: an existing file or folder always wins
/// (relative to the current directory, a leading "~/" expanded); otherwise a string in the hub id grammar
/// (org/name[@revision], see <see cref="HubId"/>) is looked up in the local hub cache (see <see cref="HubCache"/>).
/// Nothing is ever downloaded. When nothing matches, one error lists every place that was looked at.
/// The environment is passed in as a lookup function so that tests (and embedders) need not touch the process.
/// </summary>
public sealed class ModelLocator
{
    private static readonly string[] WeightFileExtensions = [".safetensors", ".bin", ".pt", ".pth", ".gguf"];

    private readonly string _currentDirectory;
    private readonly string _homeDirectory;

    public ModelLocator(Func<string, string?> environment, string? currentDirectory = null, string? homeDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _currentDirectory = currentDirectory ?? Directory.GetCurrentDirectory();
        _homeDirectory = homeDirectory
            ?? NonEmpty(environment("HOME"))
            ?? NonEmpty(environment("USERPROFILE"))
            ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        HubCache = HubCache.FromEnvironment(environment, _homeDirectory);
    }

    /// <summary>A locator reading this process's environment and current directory.</summary>
    public static ModelLocator FromProcess() => new(Environment.GetEnvironmentVariable);

    /// <summary>The hub cache this locator searches.</summary>
    public HubCache HubCache { get; }

    /// <summary>Resolves a model argument; throws <see cref="ModelException"/> (NotFound) listing every place looked.</summary>
    public ModelLocation Locate(string input)
    {
        if (string.IsNullOrWhiteSpace(input))
            ModelException.Throw(ModelError.NotFound, null, "empty model argument; pass a model folder, a weight file or a hub id org/name[@revision]");

        var looked = new List<string>();
        if (TryGetLocalPath(input) is { } local)
        {
            if (Directory.Exists(local))
                return new ModelLocation(input, ModelLocationKind.Folder, local);
            if (File.Exists(local))
                return new ModelLocation(input, ModelLocationKind.File, local);
            looked.Add($"{local} (no such file or folder)");
        }

        var isHubId = HubId.TryParse(input, out var id);
        if (isHubId && !LooksLikePath(input) && HubCache.FindSnapshot(id!, looked) is { } snapshot)
            return new ModelLocation(input, ModelLocationKind.Folder, snapshot, id);

        var hint = isHubId && !LooksLikePath(input)
            ? $"download it first (hf download {id!.RepoId} --revision {id.Revision}) or pass a local folder"
            : "pass an existing model folder, a weight file, or a hub id org/name[@revision] that is in the local hub cache";
        throw new ModelException(ModelError.NotFound, null, null,
            $"model '{input}' not found; looked at: {string.Join("; ", looked)}; {hint}");
    }

    private string? TryGetLocalPath(string input)
    {
        var path = input;
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            || (Path.DirectorySeparatorChar == '\\' && path.StartsWith("~\\", StringComparison.Ordinal)))
            path = Path.Combine(_homeDirectory, path.Length > 2 ? path[2..] : "");
        try
        {
            return Path.GetFullPath(Path.Combine(_currentDirectory, path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    // Spelled like a path, so a miss is reported as a missing file rather than a hub cache miss.
    private static bool LooksLikePath(string input) =>
        input.StartsWith('.') || input.StartsWith('/') || input.StartsWith('~') || input.Contains('\\', StringComparison.Ordinal)
        || (input.Length >= 2 && input[1] == ':')
        || WeightFileExtensions.Any(ext => input.EndsWith(ext, StringComparison.OrdinalIgnoreCase));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
