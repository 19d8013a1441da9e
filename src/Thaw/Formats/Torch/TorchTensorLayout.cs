using System.Diagnostics.CodeAnalysis;
using Thaw.Formats.Torch.Pickle;
using Thaw.Formats.Torch.Zip;
using Thaw.Tensors;

namespace Thaw.Formats.Torch;

/// <summary>
/// Where a tensor's bytes are: validates a rebuild descriptor against its storage record and finds the tensor's
/// first byte in the file. Only C-contiguous views are accepted, so every tensor is one byte range.
/// </summary>
internal static class TorchTensorLayout
{
    /// <summary>More dimensions than any real tensor has.</summary>
    internal const int MaxRank = 64;

    /// <summary>A tensor, its data's position in the file, and the keys it is ordered by.</summary>
    internal sealed record Located(TensorInfo Info, long FileOffset, long StorageDataOffset, long ByteOffsetInStorage);

    public static Located Locate(string name, TensorRef tensor, IReadOnlyDictionary<string, ZipEntry> storages, string path)
    {
        var storage = tensor.Storage;
        if (!storages.TryGetValue(storage.Key, out var entry))
        {
            Fail(TorchCheckpointError.MissingStorage, path, name,
                $"its storage '{storage.Key}' has no 'data/{storage.Key}' record in the archive; the file is incomplete");
        }
        var storageBytes = CheckedProduct(storage.ElementCount, storage.ElementSize);
        if (storageBytes != entry.Length)
        {
            Fail(TorchCheckpointError.StorageSizeMismatch, path, name,
                $"storage '{storage.Key}' holds {storage.ElementCount} elements of {storage.ElementSize} bytes but its record '{entry.Name}' is {entry.Length} bytes");
        }

        var size = tensor.Size;
        var stride = tensor.Stride;
        if (size.Length > MaxRank)
            Fail(TorchCheckpointError.PickleStructure, path, name, $"the tensor has {size.Length} dimensions; the limit is {MaxRank}");
        if (stride.Length != size.Length)
            Fail(TorchCheckpointError.PickleStructure, path, name, $"the tensor has {size.Length} sizes but {stride.Length} strides");
        var byteLength = TensorInfo.TryComputeByteLength(tensor.DType, size.AsSpan());
        if (byteLength is null)
            Fail(TorchCheckpointError.PickleStructure, path, name, $"shape [{string.Join(", ", size)}] is negative or its byte size overflows");
        if (tensor.StorageOffset < 0)
            Fail(TorchCheckpointError.TensorOutOfStorage, path, name, $"storage offset {tensor.StorageOffset} is negative");
        CheckContiguous(name, size.AsSpan(), stride.AsSpan(), path);

        var elementSize = DTypes.ByteSize(tensor.DType);
        var offsetBytes = CheckedProduct(tensor.StorageOffset, elementSize);
        if (byteLength > 0 && (offsetBytes is null || offsetBytes > entry.Length - byteLength))
        {
            Fail(TorchCheckpointError.TensorOutOfStorage, path, name,
                $"{byteLength} bytes from storage offset {tensor.StorageOffset} (x{elementSize} bytes) reach past the end of storage '{storage.Key}' ({entry.Length} bytes)");
        }
        // An empty tensor reads nothing, so its offset (which torch does not check either) is not used.
        var usedOffset = byteLength > 0 ? offsetBytes!.Value : 0;
        var info = new TensorInfo(name, tensor.DType, size, byteLength.Value);
        return new Located(info, entry.DataOffset + usedOffset, entry.DataOffset, usedOffset);
    }

    /// <summary>Row-major strides; dimensions of size 1 may have any stride, and an empty tensor is contiguous (as torch says).</summary>
    private static void CheckContiguous(string name, ReadOnlySpan<long> size, ReadOnlySpan<long> stride, string path)
    {
        if (size.Contains(0))
            return;
        long expected = 1;
        for (var i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expected)
            {
                Fail(TorchCheckpointError.NotContiguous, path, name,
                    $"strides ({string.Join(", ", stride.ToArray())}) for shape [{string.Join(", ", size.ToArray())}] are not row-major (dimension {i} has stride {stride[i]}, expected {expected}); re-save it with .contiguous() or convert to safetensors");
            }
            expected *= size[i];
        }
    }

    private static long? CheckedProduct(long a, long b)
    {
        try
        {
            return checked(a * b);
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    [DoesNotReturn]
    private static void Fail(TorchCheckpointError reason, string path, string name, string detail) =>
        TorchCheckpointException.Throw(reason, path, name, detail);
}
