using System.Diagnostics.CodeAnalysis;

namespace Thaw.Models;

/// <summary>
/// A Hugging Face model id with an optional revision: <c>name</c>, <c>org/name</c>, <c>org/name@revision</c>.
/// The id grammar is huggingface_hub's <c>validate_repo_id</c>: one or two segments of letters, digits, '_', '-'
/// and '.', each starting and ending with a letter, digit or '_', the name at most 96 characters, no "--" or
/// "..", not ending in ".git".
/// </summary>
public sealed record HubId(string? Namespace, string Name, string Revision)
{
    /// <summary>The revision huggingface_hub uses when none is given.</summary>
    public const string DefaultRevision = "main";

    private const int MaxNameLength = 96;
    private const int MaxRevisionLength = 256;

    /// <summary>"org/name" (or "name" without a namespace).</summary>
    public string RepoId => Namespace is null ? Name : $"{Namespace}/{Name}";

    /// <summary>The repository's folder in the hub cache: "models--org--name".</summary>
    public string CacheFolderName => Namespace is null ? $"models--{Name}" : $"models--{Namespace}--{Name}";

    /// <summary>True when the revision is a full commit hash, which huggingface_hub uses without consulting refs/.</summary>
    public bool RevisionIsCommitHash => IsCommitHash(Revision);

    public override string ToString() => $"{RepoId}@{Revision}";

    /// <summary>Parses "org/name[@revision]"; false when the text does not follow the hub id grammar.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out HubId? id)
    {
        id = null;
        if (string.IsNullOrEmpty(text))
            return false;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var repo = at < 0 ? text : text[..at];
        var revision = at < 0 ? DefaultRevision : text[(at + 1)..];
        if (!IsValidRevision(revision))
            return false;

        var slash = repo.IndexOf('/', StringComparison.Ordinal);
        string? ns = slash < 0 ? null : repo[..slash];
        var name = slash < 0 ? repo : repo[(slash + 1)..];
        if (ns is not null && !IsValidSegment(ns, int.MaxValue))
            return false;
        if (!IsValidSegment(name, MaxNameLength))
            return false;
        if (repo.Contains("--", StringComparison.Ordinal) || repo.Contains("..", StringComparison.Ordinal)
            || repo.EndsWith(".git", StringComparison.Ordinal))
            return false;
        id = new HubId(ns, name, revision);
        return true;
    }

    /// <summary>A full, lower-case, 40-digit hexadecimal git commit hash (huggingface_hub's REGEX_COMMIT_HASH).</summary>
    public static bool IsCommitHash(string text) =>
        text.Length == 40 && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static bool IsValidSegment(string segment, int maxLength)
    {
        if (segment.Length == 0 || segment.Length > maxLength)
            return false;
        if (!IsWordChar(segment[0]) || !IsWordChar(segment[^1]))
            return false;
        return segment.All(c => IsWordChar(c) || c is '-' or '.');
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    // A revision is a branch, tag or commit; branch names may contain '/', and it becomes a path under refs/, so
    // anything that could climb out of that folder is refused.
    private static bool IsValidRevision(string revision)
    {
        if (revision.Length == 0 || revision.Length > MaxRevisionLength)
            return false;
        if (revision[0] == '/' || revision[^1] == '/')
            return false;
        foreach (var part in revision.Split('/'))
        {
            if (part.Length == 0 || part == "." || part == "..")
                return false;
        }
        return revision.All(c => c > ' ' && c != '\\' && c != ':' && c != 0x7f);
    }
}
