namespace Thaw.Pipeline;

/// <summary>
/// Refuses outputs that would clobber an input: inside an input folder (the folder would change while it is read),
/// equal to an input, or containing one (replacing the output with --force would delete it). Symbolic links of the
/// inputs (hub snapshots link to blobs) are followed.
/// </summary>
internal static class InputOverlap
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public static void Check(string output, IEnumerable<string> inputs)
    {
        foreach (var input in inputs)
        {
            foreach (var path in Candidates(input))
            {
                if (string.Equals(output, path, PathComparison))
                    Fail(output, $"is the input '{path}' itself; choose a new folder for the output");
                if (IsInside(output, path))
                    Fail(output, $"is inside the input folder '{path}'; choose an output folder outside the model");
                if (IsInside(path, output))
                    Fail(output, $"contains the input '{path}', which replacing the output would delete; choose another output folder");
            }
        }
    }

    private static IEnumerable<string> Candidates(string input)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(input));
        yield return full;
        string? target = null;
        try
        {
            target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            // A broken or looping link: the reader reports it; the unresolved path was checked.
        }
        if (target is not null)
            yield return Path.TrimEndingDirectorySeparator(target);
    }

    private static bool IsInside(string path, string folder)
    {
        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path.Length > prefix.Length && path.StartsWith(prefix, PathComparison);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string output, string detail) =>
        PipelineException.Throw(PipelineError.OutputOverlapsInput, output, null, detail);
}
