using System.Buffers;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Formats.Gguf;

/// <summary>
/// A GGUF file (version 2 or 3) whose header was validated with the rules of ggml's reader (see
/// <see cref="GgufError"/>). Only the header is read at open; tensor data is read on demand with positioned
/// reads, which are thread-safe.
/// </summary>
public sealed class GgufFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, int> _indexByName;

    private GgufFile(string path, SafeFileHandle handle, long fileLength, GgufHeader.Parsed header)
    {
        Path = path;
        _handle = handle;
        FileLength = fileLength;
        Version = header.Version;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        Alignment = header.Alignment;
        DataStart = header.DataStart;
        _indexByName = new Dictionary<string, int>(Tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < Tensors.Length; i++)
            _indexByName.Add(Tensors[i].Name, i);
    }

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes.</summary>
    public long FileLength { get; }

    /// <summary>The GGUF version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The key/values, in file order.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>The tensors, in file order (which is also their data order).</summary>
    public ImmutableArray<GgufTensorInfo> Tensors { get; }

    /// <summary>The data alignment: <c>general.alignment</c>, or 32.</summary>
    public int Alignment { get; }

    /// <summary>Where the data section starts in the file.</summary>
    public long DataStart { get; }

    /// <summary><c>general.architecture</c>, or null when absent.</summary>
    public string? Architecture => Metadata.GetStringOrNull("general.architecture");

    /// <summary><c>general.file_type</c> (a llama_ftype), or null when absent.</summary>
    public uint? FileType => Metadata.GetUInt32OrNull("general.file_type");

    /// <summary>Opens and validates a GGUF file.</summary>
    /// <exception cref="GgufException">The file breaks a rule of the format.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var length = RandomAccess.GetLength(handle);
            var header = GgufHeader.Parse(new GgufCursor(handle, length, path));
            return new GgufFile(path, handle, length, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="path"/> starts with the GGUF magic.</summary>
    public static bool HasMagic(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out GgufTensorInfo? tensor)
    {
        if (_indexByName.TryGetValue(name, out var index))
        {
            tensor = Tensors[index];
            return true;
        }
        tensor = null;
        return false;
    }

    /// <summary>The absolute file offset of a tensor's first byte.</summary>
    public long GetFileOffset(GgufTensorInfo tensor) => DataStart + Tensors[IndexOf(tensor)].Offset;

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes of <paramref name="tensor"/>'s data, starting
    /// <paramref name="byteOffset"/> bytes into it. The range must lie inside the tensor. Thread-safe.
    /// </summary>
    public void ReadBytes(GgufTensorInfo tensor, long byteOffset, Span<byte> destination)
    {
        var info = Tensors[IndexOf(tensor)];
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteOffset, info.ByteLength - destination.Length);
        var fileOffset = DataStart + info.Offset + byteOffset;
        var done = 0;
        while (done < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[done..], fileOffset + done);
            if (read == 0)
            {
                GgufException.Throw(GgufError.Truncated, Path, info.Name,
                    $"the file ended at byte {fileOffset + done} while reading {destination.Length} bytes at {fileOffset}; it was truncated or replaced after it was opened");
            }
            done += read;
        }
    }

    /// <summary>
    /// Decodes whole rows of <paramref name="tensor"/> to float32, starting at row <paramref name="firstRow"/>, with
    /// ggml's dequantizers (<see cref="GgmlRowCodecs"/>). Thread-safe.
    /// </summary>
    /// <exception cref="NotSupportedException">Thaw has no decoder for the tensor's type.</exception>
    public void ReadRows(GgufTensorInfo tensor, long firstRow, Span<float> destination)
    {
        var info = Tensors[IndexOf(tensor)];
        var codec = GgmlRowCodecs.For(info.Type);
        var rowLength = checked((int)info.RowLength);
        if (rowLength == 0 || destination.Length % rowLength != 0)
            throw new ArgumentException($"{destination.Length} values are not whole rows of {rowLength} of tensor '{info.Name}'", nameof(destination));
        var rows = destination.Length / rowLength;
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow, info.RowCount - rows);
        var rowBytes = codec.RowByteLength(rowLength);
        // Read and decoded in pieces of about 1 MiB.
        var rowsPerPiece = Math.Max(1, (1 << 20) / rowBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(rowsPerPiece * rowBytes);
        try
        {
            for (var done = 0; done < rows; done += rowsPerPiece)
            {
                var count = Math.Min(rowsPerPiece, rows - done);
                var bytes = buffer.AsSpan(0, count * rowBytes);
                ReadBytes(info, (firstRow + done) * rowBytes, bytes);
                for (var r = 0; r < count; r++)
                    codec.Dequantize(bytes.Slice(r * rowBytes, rowBytes), destination.Slice((done + r) * rowLength, rowLength));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private int IndexOf(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_indexByName.TryGetValue(tensor.Name, out var index) || Tensors[index] != tensor)
            throw new ArgumentException($"tensor '{tensor.Name}' {tensor.DimensionsText} is not a tensor of {Path}", nameof(tensor));
        return index;
    }
}
