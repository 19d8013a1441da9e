using System.Text;

namespace Thaw.Models;

/// <summary>
/// The local Hugging Face hub cache, read exactly as huggingface_hub reads it, never downloading anything.
/// Folder: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (legacy), else $HF_HOME/hub, else
/// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub; "~" and $VARS are expanded as Python's
/// expanduser/expandvars do. An environment variable set to the empty string counts as unset (Python would use it
/// as a relative path, which is never what a user meant).
/// A repository lives in models--{org}--{name}/; refs/{revision} holds the commit hash of a branch or tag and the
/// files are in snapshots/{commit}/; a revision that is itself a 40-digit commit hash skips refs/.
/// </summary>
public sealed class HubCache
{
    private const int MaxRefFileBytes = 1024;

    public HubCache(string directory, string chosenBy)
    {
        Directory = directory;
        ChosenBy = chosenBy;
    }

    /// <summary>The cache folder (the one holding models--*/ folders).</summary>
    public string Directory { get; }

    /// <summary>Which rule chose the folder ("$HF_HUB_CACHE", "$HF_HOME/hub", ...), for messages.</summary>
    public string ChosenBy { get; }

    /// <summary>Resolves the cache folder from environment variables, as huggingface_hub's constants module does.</summary>
    public static HubCache FromEnvironment(Func<string, string?> environment, string homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;
        string Expand(string path) => ExpandPath(path, Get, homeDirectory);

        if (Get("HF_HUB_CACHE") is { } hubCache)
            return new HubCache(Expand(hubCache), "$HF_HUB_CACHE");
        if (Get("HUGGINGFACE_HUB_CACHE") is { } legacy)
            return new HubCache(Expand(legacy), "$HUGGINGFACE_HUB_CACHE");
        if (Get("HF_HOME") is { } hfHome)
            return new HubCache(Path.Combine(Expand(hfHome), "hub"), "$HF_HOME/hub");
        if (Get("XDG_CACHE_HOME") is { } xdg)
            return new HubCache(Path.Combine(Expand(xdg), "huggingface", "hub"), "$XDG_CACHE_HOME/huggingface/hub");
        return new HubCache(Path.Combine(homeDirectory, ".cache", "huggingface", "hub"), "~/.cache/huggingface/hub");
    }

    /// <summary>
    /// Finds the snapshot folder of <paramref name="id"/>. Returns null when it is not cached, after adding to
    /// <paramref name="looked"/> each place consulted and why it did not answer.
    /// </summary>
    public string? FindSnapshot(HubId id, ICollection<string> looked)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(looked);
        var repoFolder = Path.Combine(Directory, id.CacheFolderName);
        if (!System.IO.Directory.Exists(repoFolder))
        {
            looked.Add($"{repoFolder} (no such folder; hub cache chosen by {ChosenBy})");
            return null;
        }

        string commit;
        if (id.RevisionIsCommitHash)
        {
            commit = id.Revision;
        }
        else
        {
            var refFile = Path.Combine(repoFolder, "refs", Path.Combine(id.Revision.Split('/')));
            if (!File.Exists(refFile))
            {
                looked.Add($"{refFile} (no such ref: revision '{id.Revision}' was never downloaded)");
                return null;
            }
            commit = ReadCommit(refFile);
        }

        var snapshot = Path.Combine(repoFolder, "snapshots", commit);
        if (!System.IO.Directory.Exists(snapshot))
        {
            looked.Add($"{snapshot} (no such snapshot folder)");
            return null;
        }
        return snapshot;
    }

    private static string ReadCommit(string refFile)
    {
        byte[] bytes;
        using (var stream = File.OpenRead(refFile))
        {
            if (stream.Length > MaxRefFileBytes)
                ModelException.Throw(ModelError.BadHubCache, refFile,
                    $"ref file is {stream.Length} bytes, a commit hash is 40; delete the ref and download the model again");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        // huggingface_hub writes the bare hash; surrounding whitespace from a hand-edited file is forgiven.
        var commit = Encoding.UTF8.GetString(bytes).Trim();
        if (!HubId.IsCommitHash(commit))
            ModelException.Throw(ModelError.BadHubCache, refFile,
                $"ref file holds '{Truncate(commit)}', not a 40-digit commit hash; delete the ref and download the model again");
        return commit;
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "...";

    /// <summary>Python's os.path.expandvars(os.path.expanduser(path)): a leading "~" and $NAME / ${NAME} that are set.</summary>
    internal static string ExpandPath(string path, Func<string, string?> environment, string homeDirectory)
    {
        if (path == "~")
            path = homeDirectory;
        else if (path.StartsWith("~/", StringComparison.Ordinal)
                 || (Path.DirectorySeparatorChar == '\\' && path.StartsWith("~\\", StringComparison.Ordinal)))
            path = Path.Combine(homeDirectory, path[2..]);

        if (!path.Contains('$', StringComparison.Ordinal))
            return path;
        var result = new StringBuilder(path.Length);
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '$' && TryReadVariable(path, i, out var name, out var end) && environment(name) is { } value)
            {
                result.Append(value);
                i = end;
            }
            else
            {
                result.Append(path[i]);
                i++;
            }
        }
        return result.ToString();
    }

    // $NAME (word characters) or ${NAME}; end is the index after the reference.
    private static bool TryReadVariable(string path, int dollar, out string name, out int end)
    {
        name = "";
        end = dollar + 1;
        if (end < path.Length && path[end] == '{')
        {
            var close = path.IndexOf('}', end + 1);
            if (close < 0)
                return false;
            name = path[(end + 1)..close];
            end = close + 1;
            return name.Length > 0;
        }
        var start = end;
        while (end < path.Length && (char.IsAsciiLetterOrDigit(path[end]) || path[end] == '_'))
            end++;
        name = path[start..end];
        return name.Length > 0;
    }
}
