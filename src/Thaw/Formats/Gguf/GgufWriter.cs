using System.Buffers;
using Thaw.Formats.Gguf.Quants;
using Thaw.IO;

namespace Thaw.Formats.Gguf;

/// <summary>
/// Streams one GGUF v3 file to disk. The layout (header, key/values, tensor infos and every tensor's offset) is
/// fixed up front and written at creation; tensor bytes are written as they are produced, in any order and from
/// any number of threads, at their precomputed offsets. Padding is zero. The file lives under a hidden temporary
/// name until <see cref="Complete"/> has checked that every byte of every tensor was written exactly once;
/// disposing without completing deletes it.
/// </summary>
/// <remarks><see cref="Write(string, long, ReadOnlySpan{byte})"/> is thread-safe; <see cref="Complete"/> and
/// <see cref="Dispose"/> must not run concurrently with writes.</remarks>
public sealed class GgufWriter : IDisposable
{
    private readonly RegionFileWriter file;

    private GgufWriter(RegionFileWriter file, GgufLayout layout)
    {
        this.file = file;
        Layout = layout;
    }

    /// <summary>The final path of the file.</summary>
    public string Path => file.Path;

    /// <summary>Where everything goes.</summary>
    public GgufLayout Layout { get; }

    /// <summary>Starts writing <paramref name="path"/> with the given key/values (in order) and tensors (in order).</summary>
    /// <exception cref="GgufException">The metadata or a tensor cannot be written (see <see cref="GgufLayout.Create"/>).</exception>
    /// <exception cref="OutputException">The path exists and <paramref name="overwrite"/> is false.</exception>
    public static GgufWriter Create(string path, IEnumerable<KeyValuePair<string, GgufValue>> metadata,
        IEnumerable<GgufTensorSpec> tensors, bool overwrite = false) =>
        Create(path, GgufLayout.Create(metadata, tensors), overwrite);

    /// <summary>Starts writing <paramref name="path"/> with a precomputed layout.</summary>
    public static GgufWriter Create(string path, GgufLayout layout, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var regions = layout.Tensors.Select(t => (layout.DataStart + t.Offset, t.ByteLength));
        return new GgufWriter(RegionFileWriter.Create(path, layout.FileLength, layout.Prefix, regions, overwrite), layout);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="byteOffset"/> bytes into tensor <paramref name="tensorName"/>.</summary>
    /// <exception cref="GgufException">Part of the range was already written (<see cref="GgufError.OverlappingWrite"/>).</exception>
    public void Write(string tensorName, long byteOffset, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        ObjectDisposedException.ThrowIf(file.IsClosed, this);
        var index = Layout.IndexOf(tensorName);
        if (index < 0)
            throw new ArgumentException($"tensor '{tensorName}' is not part of {Path}", nameof(tensorName));
        if (file.Write(index, byteOffset, data) is { } overlapped)
        {
            GgufException.Throw(GgufError.OverlappingWrite, Path, tensorName,
                $"bytes [{byteOffset}, {byteOffset + data.Length}) overlap bytes [{overlapped.Start}, {overlapped.End}) written before; each byte must be written once");
        }
    }

    /// <summary>
    /// Encodes whole rows of float32 values into the tensor's ggml type (with <see cref="GgmlRowCodecs"/>) and writes
    /// them starting at row <paramref name="firstRow"/>. Thread-safe, like <see cref="Write(string, long, ReadOnlySpan{byte})"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">Thaw has no encoder for the tensor's type.</exception>
    public void WriteRows(string tensorName, long firstRow, ReadOnlySpan<float> rows)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        var index = Layout.IndexOf(tensorName);
        if (index < 0)
            throw new ArgumentException($"tensor '{tensorName}' is not part of {Path}", nameof(tensorName));
        var tensor = Layout.Tensors[index];
        var codec = GgmlRowCodecs.For(tensor.Type);
        var rowLength = checked((int)tensor.RowLength);
        if (rowLength == 0 || rows.Length % rowLength != 0)
            throw new ArgumentException($"{rows.Length} values are not whole rows of {rowLength} for tensor '{tensorName}'", nameof(rows));
        var rowBytes = codec.RowByteLength(rowLength);
        // Encoded in pieces of about 1 MiB so that a large chunk needs no large buffer.
        var rowsPerPiece = Math.Max(1, (1 << 20) / rowBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(rowsPerPiece * rowBytes);
        try
        {
            for (var done = 0; done < rows.Length / rowLength; done += rowsPerPiece)
            {
                var count = Math.Min(rowsPerPiece, rows.Length / rowLength - done);
                for (var r = 0; r < count; r++)
                    codec.Quantize(rows.Slice((done + r) * rowLength, rowLength), buffer.AsSpan(r * rowBytes, rowBytes));
                Write(tensorName, (firstRow + done) * rowBytes, buffer.AsSpan(0, count * rowBytes));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks that every tensor was fully written, flushes the file to disk and renames it into place.</summary>
    /// <exception cref="GgufException">A tensor is incomplete (<see cref="GgufError.IncompleteWrite"/>); the
    /// temporary file is deleted.</exception>
    public void Complete()
    {
        if (file.Complete() is { } incomplete)
            GgufException.Throw(GgufError.IncompleteWrite, Path, incomplete.Region < 0 ? null : Layout.Tensors[incomplete.Region].Name, incomplete.Detail);
    }

    /// <summary>Closes the file; deletes it unless <see cref="Complete"/> succeeded.</summary>
    public void Dispose() => file.Dispose();
}
