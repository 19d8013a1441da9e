using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;
using Thaw.Tensors;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// A safetensors file whose header has been validated with the reference reader's rules (see
/// <see cref="SafetensorsError"/>). Only the header is read at open; tensor data is read on demand with positioned
/// reads, which are thread-safe.
/// </summary>
public sealed class SafetensorsFile : ITensorFile
{
    private readonly SafeFileHandle _handle;
    private readonly ImmutableArray<long> _dataOffsets;
    private readonly Dictionary<string, int> _indexByName;

    private SafetensorsFile(string path, SafeFileHandle handle, long headerLength, SafetensorsHeader.Parsed header)
    {
        Path = path;
        _handle = handle;
        HeaderLength = headerLength;
        Tensors = header.Tensors;
        _dataOffsets = header.DataOffsets;
        Metadata = header.Metadata;
        _indexByName = new Dictionary<string, int>(header.Tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < header.Tensors.Length; i++)
            _indexByName.Add(header.Tensors[i].Name, i);
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>N, the byte length of the JSON header (padding included).</summary>
    public long HeaderLength { get; }

    /// <summary>Where the data buffer starts in the file: 8 + <see cref="HeaderLength"/>.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <exception cref="SafetensorsException">The file breaks a rule of the format.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            var headerLength = ReadHeaderLength(handle, fileLength, path);
            // Bounded: the length was checked against both MaxHeaderLength and the file's size.
            var header = new byte[headerLength];
            ReadExactly(handle, 8, header, path, null);
            var parsed = SafetensorsHeader.Parse(header, fileLength, path);
            return new SafetensorsFile(path, handle, headerLength, parsed);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? tensor)
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
    public long GetFileOffset(TensorInfo tensor) => DataStart + _dataOffsets[IndexOf(tensor)];

    /// <inheritdoc/>
    public void ReadBytes(TensorInfo tensor, long byteOffset, Span<byte> destination)
    {
        var index = IndexOf(tensor);
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteOffset, Tensors[index].ByteLength - destination.Length);
        ReadExactly(_handle, DataStart + _dataOffsets[index] + byteOffset, destination, Path, tensor.Name);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private int IndexOf(TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_indexByName.TryGetValue(tensor.Name, out var index) || !SameTensor(Tensors[index], tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' {tensor.ShapeText} is not a tensor of {Path}", nameof(tensor));
        return index;
    }

    private static bool SameTensor(TensorInfo a, TensorInfo b) =>
        ReferenceEquals(a, b) || (a.DType == b.DType && a.ByteLength == b.ByteLength && a.Shape.AsSpan().SequenceEqual(b.Shape.AsSpan()));

    private static long ReadHeaderLength(SafeFileHandle handle, long fileLength, string path)
    {
        if (fileLength < 8)
        {
            SafetensorsException.Throw(SafetensorsError.HeaderTooSmall, path, null,
                $"the file has {fileLength} bytes, fewer than the 8-byte header length every safetensors file starts with; the file is empty, truncated or not a safetensors file");
        }
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(handle, 0, prefix, path, null);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length > SafetensorsHeader.MaxHeaderLength)
        {
            SafetensorsException.Throw(SafetensorsError.HeaderTooLarge, path, null,
                $"the header length {length} is above the limit of {SafetensorsHeader.MaxHeaderLength} bytes; the file is corrupt or not a safetensors file");
        }
        if ((long)length > fileLength - 8)
        {
            SafetensorsException.Throw(SafetensorsError.InvalidHeaderLength, path, null,
                $"the header length {length} points past the end of the file ({fileLength} bytes, so at most {fileLength - 8}); the file is truncated or not a safetensors file");
        }
        return (long)length;
    }

    /// <summary>Positioned read of exactly destination.Length bytes; the OS may return fewer per call.</summary>
    private static void ReadExactly(SafeFileHandle handle, long fileOffset, Span<byte> destination, string path, string? tensor)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var read = RandomAccess.Read(handle, destination[done..], fileOffset + done);
            if (read == 0)
            {
                SafetensorsException.Throw(SafetensorsError.TruncatedData, path, tensor,
                    $"the file ended at byte {fileOffset + done} while reading {destination.Length} bytes at {fileOffset}; it was truncated or replaced after it was opened");
            }
            done += read;
        }
    }
}
