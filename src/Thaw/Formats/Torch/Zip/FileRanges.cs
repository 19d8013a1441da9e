using Microsoft.Win32.SafeHandles;

namespace Thaw.Formats.Torch.Zip;

/// <summary>Positional reads that either fill the whole span or report a truncated file.</summary>
internal static class FileRanges
{
    /// <summary>
    /// Fills <paramref name="destination"/> from <paramref name="offset"/>. Callers check ranges against the file
    /// length first, so a short read means the file shrank after it was opened.
    /// </summary>
    public static void ReadExactly(SafeFileHandle file, long offset, Span<byte> destination, string path)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(file, destination, offset);
            if (read == 0)
            {
                TorchCheckpointException.Throw(TorchCheckpointError.TruncatedData, path,
                    $"the file ended at byte {offset} while {destination.Length} more bytes were expected; it changed after it was opened");
            }
            destination = destination[read..];
            offset += read;
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/> into a new array.</summary>
    public static byte[] ReadArray(SafeFileHandle file, long offset, int length, string path)
    {
        var bytes = new byte[length];
        ReadExactly(file, offset, bytes, path);
        return bytes;
    }
}
