using Thaw.Models;

namespace Thaw.Tests.Models;

public sealed class ModelLocatorTests : IDisposable
{
    private const string MainCommit = "1111111111111111111111111111111111111111";
    private const string TagCommit = "2222222222222222222222222222222222222222";
    private const string PrCommit = "3333333333333333333333333333333333333333";
    private const string LooseCommit = "4444444444444444444444444444444444444444";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Home => Path.Combine(_temp.Path, "home");

    private string WorkDir => Directory.CreateDirectory(Path.Combine(_temp.Path, "work")).FullName;

    private ModelLocator Locator(params (string Name, string Value)[] env)
    {
        var map = env.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        map.TryAdd("HOME", Home);
        return new ModelLocator(name => map.GetValueOrDefault(name), WorkDir);
    }

    // A cache laid out as huggingface_hub writes it: refs/<revision> holds the commit, snapshots/<commit>/ the files.
    private static string MakeRepo(string cache, string folderName, string[] snapshots, params (string Ref, string Commit)[] refs)
    {
        var repo = Path.Combine(cache, folderName);
        foreach (var commit in snapshots)
        {
            var snapshot = Directory.CreateDirectory(Path.Combine(repo, "snapshots", commit)).FullName;
            File.WriteAllText(Path.Combine(snapshot, "config.json"), "{}");
        }
        foreach (var (name, commit) in refs)
        {
            var refFile = Path.Combine(repo, "refs", Path.Combine(name.Split('/')));
            Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
            File.WriteAllText(refFile, commit);
        }
        return repo;
    }

    private string DefaultCache => Path.Combine(Home, ".cache", "huggingface", "hub");

    private string MakeDefaultRepo() => MakeRepo(DefaultCache, "models--org--tiny", [MainCommit, TagCommit, PrCommit, LooseCommit],
        ("main", MainCommit), ("v1.0", TagCommit), ("refs/pr/1", PrCommit));

    [Fact]
    public void DefaultRevisionResolvesThroughRefsMain()
    {
        var repo = MakeDefaultRepo();
        var location = Locator().Locate("org/tiny");
        Assert.Equal(ModelLocationKind.Folder, location.Kind);
        Assert.Equal(Path.Combine(repo, "snapshots", MainCommit), location.Path);
        Assert.Equal("org/tiny", location.HubId!.RepoId);
        Assert.Equal("main", location.HubId.Revision);
    }

    [Theory]
    [InlineData("org/tiny@v1.0", TagCommit)]
    [InlineData("org/tiny@refs/pr/1", PrCommit)]
    [InlineData("org/tiny@main", MainCommit)]
    public void NamedRevisionResolvesThroughItsRef(string input, string commit)
    {
        var repo = MakeDefaultRepo();
        Assert.Equal(Path.Combine(repo, "snapshots", commit), Locator().Locate(input).Path);
    }

    [Fact]
    public void CommitHashRevisionGoesStraightToTheSnapshot()
    {
        // No ref points at this commit, and the repository has no refs folder at all.
        var repo = MakeRepo(DefaultCache, "models--org--loose", [LooseCommit]);
        Assert.Equal(Path.Combine(repo, "snapshots", LooseCommit), Locator().Locate($"org/loose@{LooseCommit}").Path);
    }

    [Fact]
    public void RefFileWithTrailingNewlineIsAccepted()
    {
        var repo = MakeRepo(DefaultCache, "models--org--nl", [MainCommit]);
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), MainCommit + "\n");
        Assert.Equal(Path.Combine(repo, "snapshots", MainCommit), Locator().Locate("org/nl").Path);
    }

    [Fact]
    public void BareNameWithoutNamespaceUsesModelsDashDashName()
    {
        var repo = MakeRepo(DefaultCache, "models--gpt2", [MainCommit], ("main", MainCommit));
        Assert.Equal(Path.Combine(repo, "snapshots", MainCommit), Locator().Locate("gpt2").Path);
    }

    [Fact]
    public void SnapshotOfSymlinksToBlobsOpensAsAModel()
    {
        // huggingface_hub stores file contents once in blobs/ and links them from snapshots/<commit>/.
        var repo = MakeRepo(DefaultCache, "models--org--a1", [MainCommit], ("main", MainCommit));
        var blobs = Directory.CreateDirectory(Path.Combine(repo, "blobs")).FullName;
        var snapshot = Path.Combine(repo, "snapshots", MainCommit);
        File.Delete(Path.Combine(snapshot, "config.json"));
        foreach (var name in new[] { "config.json", "model.safetensors" })
        {
            var blob = Path.Combine(blobs, "blob-" + name);
            File.Copy(Path.Combine(ModelFixtures.A1, name), blob);
            File.CreateSymbolicLink(Path.Combine(snapshot, name), Path.Combine("..", "..", "blobs", "blob-" + name));
        }

        using var model = HfModel.Open(Locator().Locate("org/a1"));
        Assert.Equal("org/a1", model.Location.HubId!.RepoId);
        Assert.Equal(21, model.Tensors.Count);
        Assert.Equal(32, model.Config!.HiddenSize);
    }

    [Fact]
    public void CacheFolderPrecedenceFollowsHuggingfaceHub()
    {
        (string, string)[] all =
        [
            ("HF_HUB_CACHE", "/a/hub-cache"), ("HUGGINGFACE_HUB_CACHE", "/b/legacy"), ("HF_HOME", "/c/hf-home"),
            ("XDG_CACHE_HOME", "/d/xdg"),
        ];
        Assert.Equal("/a/hub-cache", Locator(all).HubCache.Directory);
        Assert.Equal("$HF_HUB_CACHE", Locator(all).HubCache.ChosenBy);
        Assert.Equal("/b/legacy", Locator(all[1..]).HubCache.Directory);
        Assert.Equal(Path.Combine("/c/hf-home", "hub"), Locator(all[2..]).HubCache.Directory);
        Assert.Equal(Path.Combine("/d/xdg", "huggingface", "hub"), Locator(all[3..]).HubCache.Directory);
        Assert.Equal(DefaultCache, Locator().HubCache.Directory);
    }

    [Fact]
    public void EmptyVariablesCountAsUnset()
    {
        var locator = Locator(("HF_HUB_CACHE", ""), ("HF_HOME", "/c/hf-home"));
        Assert.Equal(Path.Combine("/c/hf-home", "hub"), locator.HubCache.Directory);
    }

    [Fact]
    public void TildeAndVariablesAreExpandedLikePython()
    {
        Assert.Equal(Path.Combine(Home, "hf", "hub"), Locator(("HF_HOME", "~/hf")).HubCache.Directory);
        Assert.Equal("/base/x/cache", Locator(("HF_HUB_CACHE", "$BASE/x/${SUB}"), ("BASE", "/base"), ("SUB", "cache")).HubCache.Directory);
        // Python's expandvars leaves unknown variables as they are.
        Assert.Equal("/base/$NOPE/c", Locator(("HF_HUB_CACHE", "/base/$NOPE/c")).HubCache.Directory);
    }

    [Fact]
    public void ModelIsFoundInTheCacheTheEnvironmentNames()
    {
        var cache = Path.Combine(_temp.Path, "custom-cache");
        var repo = MakeRepo(cache, "models--org--tiny", [MainCommit], ("main", MainCommit));
        MakeDefaultRepo(); // a different copy in the default cache must not be used
        Assert.Equal(Path.Combine(repo, "snapshots", MainCommit), Locator(("HF_HUB_CACHE", cache)).Locate("org/tiny").Path);
    }

    [Fact]
    public void ExistingLocalFolderWinsOverTheCache()
    {
        MakeDefaultRepo();
        var local = Directory.CreateDirectory(Path.Combine(WorkDir, "org", "tiny")).FullName;
        var location = Locator().Locate("org/tiny");
        Assert.Equal(local, location.Path);
        Assert.Null(location.HubId);
    }

    [Fact]
    public void FilesAndFoldersAreLocatedByPath()
    {
        var file = Path.Combine(WorkDir, "weights.safetensors");
        File.WriteAllText(file, "x");
        var locator = Locator();
        Assert.Equal(ModelLocationKind.File, locator.Locate("weights.safetensors").Kind);
        Assert.Equal(file, locator.Locate(file).Path);
        Assert.Equal(ModelLocationKind.Folder, locator.Locate(WorkDir).Kind);

        Directory.CreateDirectory(Path.Combine(Home, "models"));
        Assert.Equal(Path.Combine(Home, "models"), locator.Locate("~/models").Path);
    }

    [Fact]
    public void MissingRepositoryListsEveryPlaceLooked()
    {
        var e = Assert.Throws<ModelException>(() => Locator().Locate("org/absent"));
        Assert.Equal(ModelError.NotFound, e.Reason);
        Assert.Contains(Path.Combine(WorkDir, "org", "absent"), e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(DefaultCache, "models--org--absent"), e.Message, StringComparison.Ordinal);
        Assert.Contains("~/.cache/huggingface/hub", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingRevisionNamesTheRefFile()
    {
        var repo = MakeDefaultRepo();
        var e = Assert.Throws<ModelException>(() => Locator().Locate("org/tiny@v9"));
        Assert.Equal(ModelError.NotFound, e.Reason);
        Assert.Contains(Path.Combine(repo, "refs", "v9"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSnapshotNamesTheSnapshotFolder()
    {
        var repo = MakeRepo(DefaultCache, "models--org--gone", [], ("main", MainCommit));
        var e = Assert.Throws<ModelException>(() => Locator().Locate("org/gone"));
        Assert.Equal(ModelError.NotFound, e.Reason);
        Assert.Contains(Path.Combine(repo, "snapshots", MainCommit), e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ModelException>(() => Locator().Locate($"org/gone@{LooseCommit}"));
        Assert.Contains(Path.Combine(repo, "snapshots", LooseCommit), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefThatIsNotACommitHashIsRejected()
    {
        MakeRepo(DefaultCache, "models--org--bad", [MainCommit], ("main", "../../../etc"));
        var e = Assert.Throws<ModelException>(() => Locator().Locate("org/bad"));
        Assert.Equal(ModelError.BadHubCache, e.Reason);
        Assert.EndsWith(Path.Combine("refs", "main"), e.FilePath, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("./missing")]
    [InlineData("missing.safetensors")]
    [InlineData("a/b/c")]
    public void PathLikeInputIsNotLookedUpInTheCache(string input)
    {
        var e = Assert.Throws<ModelException>(() => Locator().Locate(input));
        Assert.Equal(ModelError.NotFound, e.Reason);
        Assert.DoesNotContain("models--", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyInputIsRejected(string input) =>
        Assert.Equal(ModelError.NotFound, Assert.Throws<ModelException>(() => Locator().Locate(input)).Reason);
}
