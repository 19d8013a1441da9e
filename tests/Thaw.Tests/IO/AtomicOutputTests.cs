using System.Text;
using Thaw.IO;

namespace Thaw.Tests.IO;

public sealed class AtomicOutputTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TempPathIsAHiddenUniqueSibling()
    {
        var target = _folder.File("model.safetensors");
        var a = AtomicOutput.TempSiblingPath(target);
        var b = AtomicOutput.TempSiblingPath(target);
        Assert.NotEqual(a, b);
        Assert.Equal(_folder.Path, Path.GetDirectoryName(a));
        Assert.Matches($@"^\.model\.safetensors\.thaw-tmp-{Environment.ProcessId}-[0-9a-f]{{12}}$", Path.GetFileName(a));
        Assert.Matches($@"^\.out\.thaw-tmp-{Environment.ProcessId}-[0-9a-f]{{12}}$", Path.GetFileName(AtomicOutput.TempSiblingPath(_folder.File("out") + "/")));
    }

    [Fact]
    public void WhatAKilledRunLeftIsRemovedByTheNextRunToTheSameOutput()
    {
        // A process standing in for a thaw run: its temporary folder is kept while it lives and removed once it is killed.
        using var run = System.Diagnostics.Process.Start("sleep", "60");
        var killedRun = _folder.File($".out.thaw-tmp-{run.Id}-0123456789ab");
        var displacedOldOutput = _folder.File($".out.thaw-old-{run.Id}-0123456789ab");
        var otherOutput = _folder.File($".other.thaw-tmp-{run.Id}-0123456789ab");
        foreach (var folder in new[] { killedRun, displacedOldOutput, otherOutput })
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "model.safetensors"), "partial");
        }
        Assert.Empty(AtomicOutput.RemoveStaleTemporaries(_folder.File("out")));
        Assert.True(Directory.Exists(killedRun));

        run.Kill();
        run.WaitForExit();
        using (var pending = AtomicOutput.BeginDirectory(_folder.File("out"), overwrite: false))
        {
            Assert.False(Directory.Exists(killedRun));
            // Not ours to remove: the previous output a killed --force swap may have left, and another output's temporaries.
            Assert.True(Directory.Exists(displacedOldOutput));
            Assert.True(Directory.Exists(otherOutput));
        }
    }

    [Fact]
    public void FileAppearsOnlyOnCommit()
    {
        var target = _folder.File("sub/dir/a.json");
        using (var pending = AtomicOutput.BeginFile(target, overwrite: false))
        {
            File.WriteAllText(pending.TempPath, "new");
            Assert.False(File.Exists(target));
            pending.Commit();
        }
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(["a.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!).Select(Path.GetFileName));
    }

    [Fact]
    public void UncommittedFileIsDeleted()
    {
        using (var pending = AtomicOutput.BeginFile(_folder.File("a.bin"), overwrite: false))
            File.WriteAllText(pending.TempPath, "partial");
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void ExistingFileNeedsOverwrite()
    {
        var target = _folder.File("a.json");
        File.WriteAllText(target, "old");
        var error = Assert.Throws<OutputException>(() => AtomicOutput.BeginFile(target, overwrite: false));
        Assert.Equal(OutputError.AlreadyExists, error.Reason);
        Assert.Contains("--force", error.Message, StringComparison.Ordinal);
        Assert.Equal(target, error.FilePath);

        AtomicOutput.WriteAllBytes(target, "new"u8, overwrite: true);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(["a.json"], _folder.Entries());
    }

    [Fact]
    public void FileCreatedMeanwhileIsNotOverwritten()
    {
        var target = _folder.File("a.json");
        using var pending = AtomicOutput.BeginFile(target, overwrite: false);
        File.WriteAllText(pending.TempPath, "new");
        File.WriteAllText(target, "someone else's");
        Assert.Equal(OutputError.AlreadyExists, Assert.Throws<OutputException>(pending.Commit).Reason);
        Assert.Equal("someone else's", File.ReadAllText(target));
    }

    [Fact]
    public void DirectoryAppearsOnlyOnCommitAndReplacesOnlyWhenAsked()
    {
        var target = _folder.File("out");
        using (var pending = AtomicOutput.BeginDirectory(target, overwrite: false))
        {
            Assert.True(Directory.Exists(pending.TempPath));
            File.WriteAllText(Path.Combine(pending.TempPath, "config.json"), "{}");
            Assert.False(Directory.Exists(target));
            pending.Commit();
        }
        Assert.Equal("{}", File.ReadAllText(Path.Combine(target, "config.json")));

        Assert.Equal(OutputError.AlreadyExists, Assert.Throws<OutputException>(() => AtomicOutput.BeginDirectory(target, overwrite: false)).Reason);

        using (var pending = AtomicOutput.BeginDirectory(target, overwrite: true))
        {
            File.WriteAllText(Path.Combine(pending.TempPath, "model.safetensors"), "x");
            pending.Commit();
        }
        Assert.Equal(["model.safetensors"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal(["out"], _folder.Entries());
    }

    [Fact]
    public void UncommittedDirectoryIsDeleted()
    {
        using (var pending = AtomicOutput.BeginDirectory(_folder.File("out"), overwrite: false))
            File.WriteAllBytes(Path.Combine(pending.TempPath, "shard"), new byte[10]);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void FileAndFolderAreNotConfused()
    {
        Directory.CreateDirectory(_folder.File("dir"));
        File.WriteAllText(_folder.File("file"), "");
        Assert.Equal(OutputError.WrongKind, Assert.Throws<OutputException>(() => AtomicOutput.BeginFile(_folder.File("dir"), overwrite: true)).Reason);
        Assert.Equal(OutputError.WrongKind, Assert.Throws<OutputException>(() => AtomicOutput.BeginDirectory(_folder.File("file"), overwrite: true)).Reason);
    }

    [Fact]
    public void CommitTwiceIsAnError()
    {
        using var pending = AtomicOutput.BeginFile(_folder.File("a"), overwrite: false);
        File.WriteAllBytes(pending.TempPath, Encoding.ASCII.GetBytes("a"));
        pending.Commit();
        Assert.Throws<ObjectDisposedException>(pending.Commit);
    }
}
