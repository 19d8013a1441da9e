using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;
using Thaw.Formats.Torch.Pickle;
using Thaw.Formats.Torch.Zip;
using Thaw.Tensors;

namespace Thaw.Formats.Torch;

/// <summary>
/// A PyTorch checkpoint written by torch.save (≥ 1.6 zip format: pytorch_model.bin, adapter_model.bin, .pt) read
/// without executing anything: the zip directory is validated, data.pkl goes through an allow-list unpickler, and
/// the top-level object must be a dict of tensors. Tensor data stays in the archive's stored records and is read
/// at explicit offsets.
/// </summary>
public sealed class TorchCheckpointFile : ITensorFile
{
    /// <summary>
    /// The legacy (torch &lt; 1.6) format starts with a protocol-2 pickle of the magic number
    /// 0x1950a86a20f9469cfc6c: PROTO 2, LONG1 of 10 bytes, then the number little-endian.
    /// </summary>
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    private static readonly byte[] ZipMagic = [(byte)'P', (byte)'K'];

    private readonly SafeFileHandle _file;
    private readonly Dictionary<string, TorchTensorLayout.Located> _byName;

    private TorchCheckpointFile(string path, SafeFileHandle file, List<TorchTensorLayout.Located> tensors)
    {
        Path = path;
        _file = file;
        _byName = tensors.ToDictionary(t => t.Info.Name, StringComparer.Ordinal);
        Tensors = tensors.Select(t => t.Info).ToArray();
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Torch checkpoints carry no string metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata => ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Opens and fully validates a checkpoint; throws <see cref="TorchCheckpointException"/> for any bad input.</summary>
    public static TorchCheckpointFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var length = RandomAccess.GetLength(file);
            CheckSignature(file, length, path);
            var archive = TorchArchive.Read(file, length, path);
            var root = RestrictedUnpickler.Load(archive.ReadPickle(file, path), path);
            var tensors = TorchStateDict.Extract(root, path)
                .Select(t => TorchTensorLayout.Locate(t.Name, t.Tensor, archive.Storages, path))
                .OrderBy(t => t.StorageDataOffset)
                .ThenBy(t => t.ByteOffsetInStorage)
                .ToList();
            return new TorchCheckpointFile(path, file, tensors);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool TryGetTensor(string name, [NotNullWhen(true)] out TensorInfo? tensor)
    {
        tensor = _byName.TryGetValue(name, out var located) ? located.Info : null;
        return tensor is not null;
    }

    /// <inheritdoc />
    public void ReadBytes(TensorInfo tensor, long byteOffset, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_byName.TryGetValue(tensor.Name, out var located) || located.Info.DType != tensor.DType || located.Info.ByteLength != tensor.ByteLength)
            throw new ArgumentException($"tensor '{tensor.Name}' ({DTypes.SafetensorsName(tensor.DType)}, {tensor.ByteLength} bytes) is not in {Path}", nameof(tensor));
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteOffset, located.Info.ByteLength - destination.Length);
        FileRanges.ReadExactly(_file, located.FileOffset + byteOffset, destination, Path);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static void CheckSignature(SafeFileHandle file, long length, string path)
    {
        Span<byte> head = stackalloc byte[LegacyMagic.Length];
        head = head[..(int)Math.Min(head.Length, length)];
        FileRanges.ReadExactly(file, 0, head, path);
        if (head.StartsWith(ZipMagic))
            return;
        if (head.SequenceEqual(LegacyMagic))
        {
            TorchCheckpointException.Throw(TorchCheckpointError.LegacyFormat, path,
                "the file uses torch's legacy (< 1.6) serialization, which Thaw does not read; load it and re-save it with torch >= 1.6 (torch.save) or convert it to safetensors");
        }
        TorchCheckpointException.Throw(TorchCheckpointError.NotAZip, path,
            "the file is not a torch.save zip archive (it does not start with 'PK'); expected a pytorch_model.bin / .pt written by torch >= 1.6");
    }
}
