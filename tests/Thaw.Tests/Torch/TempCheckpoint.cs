namespace Thaw.Tests.Torch;

/// <summary>A checkpoint written to a fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempCheckpoint : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("thaw-torch-").FullName;

    public TempCheckpoint(byte[] contents, string fileName = "checkpoint.bin")
    {
        Path = System.IO.Path.Combine(_folder, fileName);
        File.WriteAllBytes(Path, contents);
    }

    public TempCheckpoint(Action<FileStream> write, string fileName = "checkpoint.bin")
    {
        Path = System.IO.Path.Combine(_folder, fileName);
        using var stream = File.Create(Path);
        write(stream);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
