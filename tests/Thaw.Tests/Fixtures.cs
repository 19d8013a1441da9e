namespace Thaw.Tests;

/// <summary>Paths into tests/fixtures (copies of the reference files; see tests/fixtures/MANIFEST.md).</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The absolute path of a file or folder under tests/fixtures.</summary>
    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    /// <summary>The repository root (holds Thaw.sln).</summary>
    public static string RepositoryRoot => Directory.GetParent(Directory.GetParent(Root.Value)!.FullName)!.FullName;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}");
    }
}
