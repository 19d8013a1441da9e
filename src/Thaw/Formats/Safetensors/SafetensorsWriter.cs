using Thaw.IO;
using Thaw.Tensors;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// Streams one safetensors file to disk. The layout (header and every tensor's offset) is fixed up front, the
/// header is written at creation, and tensor bytes are written as they are produced, in any order and from any
/// number of threads, at their precomputed offsets. The file lives under a hidden temporary name until
/// <see cref="Complete"/> has checked that every byte of every tensor was written exactly once; disposing
/// without completing deletes it.
/// </summary>
/// <remarks><see cref="Write(string, long, ReadOnlySpan{byte})"/> is thread-safe; <see cref="Complete"/> and
/// <see cref="Dispose"/> must not run concurrently with writes.</remarks>
public sealed class SafetensorsWriter : IDisposable
{
    private readonly RegionFileWriter file;

    private SafetensorsWriter(RegionFileWriter file, SafetensorsLayout layout)
    {
        this.file = file;
        Layout = layout;
    }

    /// <summary>The final path of the file.</summary>
    public string Path => file.Path;

    /// <summary>The header and tensor offsets the file is written with.</summary>
    public SafetensorsLayout Layout { get; }

    /// <summary>Starts writing <paramref name="path"/> with the given tensors (in order) and metadata.</summary>
    /// <exception cref="OutputException">The path exists and <paramref name="overwrite"/> is false.</exception>
    public static SafetensorsWriter Create(string path, IEnumerable<TensorInfo> tensors,
        IEnumerable<KeyValuePair<string, string>>? metadata = null, bool overwrite = false) =>
        Create(path, SafetensorsLayout.Create(tensors, metadata), overwrite);

    /// <summary>Starts writing <paramref name="path"/> with a precomputed layout.</summary>
    /// <exception cref="OutputException">The path exists and <paramref name="overwrite"/> is false.</exception>
    public static SafetensorsWriter Create(string path, SafetensorsLayout layout, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var regions = layout.Tensors.Select((t, i) => (layout.DataStart + layout.DataOffsetAt(i), t.ByteLength));
        return new SafetensorsWriter(RegionFileWriter.Create(path, layout.FileLength, layout.Prefix, regions, overwrite), layout);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="byteOffset"/> bytes into tensor <paramref name="tensorName"/>. Thread-safe.</summary>
    /// <exception cref="SafetensorsException">Part of the range was already written (<see cref="SafetensorsError.OverlappingWrite"/>).</exception>
    public void Write(string tensorName, long byteOffset, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        ObjectDisposedException.ThrowIf(file.IsClosed, this);
        var index = Layout.IndexOf(tensorName);
        if (index < 0)
            throw new ArgumentException($"tensor '{tensorName}' is not part of {Path}", nameof(tensorName));
        if (file.Write(index, byteOffset, data) is { } overlapped)
        {
            SafetensorsException.Throw(SafetensorsError.OverlappingWrite, Path, tensorName,
                $"bytes [{byteOffset}, {byteOffset + data.Length}) overlap bytes [{overlapped.Start}, {overlapped.End}) written before; each byte must be written once");
        }
    }

    /// <summary>Writes into <paramref name="tensor"/>; see <see cref="Write(string, long, ReadOnlySpan{byte})"/>.</summary>
    public void Write(TensorInfo tensor, long byteOffset, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Write(tensor.Name, byteOffset, data);
    }

    /// <summary>Checks that every tensor was fully written, flushes the file and renames it into place.</summary>
    /// <exception cref="SafetensorsException">A tensor is incomplete (<see cref="SafetensorsError.IncompleteWrite"/>); the temporary file is deleted.</exception>
    public void Complete()
    {
        if (file.Complete() is { } incomplete)
            SafetensorsException.Throw(SafetensorsError.IncompleteWrite, Path, incomplete.Region < 0 ? null : Layout.Tensors[incomplete.Region].Name, incomplete.Detail);
    }

    /// <summary>Closes the file; deletes it unless <see cref="Complete"/> succeeded.</summary>
    public void Dispose() => file.Dispose();
}
