using Microsoft.Win32.SafeHandles;

namespace Thaw.IO;

/// <summary>
/// A file of known length written at positions, from any thread: a header written at creation, then regions (one
/// per tensor) whose bytes may arrive in any order but each exactly once. The file lives under a temporary sibling
/// name and replaces its path only in <see cref="Complete"/>, after every region was written in full and flushed.
/// The format writers (safetensors, GGUF) turn the refusals into their own errors.
/// </summary>
internal sealed class RegionFileWriter : IDisposable
{
    private readonly PendingOutput output;
    private readonly SafeFileHandle handle;
    private readonly WrittenRanges[] written;
    private readonly long[] starts;
    private volatile bool closed;
    private volatile bool failed;

    private RegionFileWriter(PendingOutput output, SafeFileHandle handle, long[] starts, long[] lengths)
    {
        this.output = output;
        this.handle = handle;
        this.starts = starts;
        written = [.. lengths.Select(l => new WrittenRanges(l))];
    }

    public string Path => output.FinalPath;

    public bool IsClosed => closed;

    /// <param name="path">The final path.</param>
    /// <param name="fileLength">The file's length, set up front so that padding reads as zeros and writes may come in any order.</param>
    /// <param name="header">Bytes written at offset 0 now.</param>
    /// <param name="regions">Each region's start in the file and length.</param>
    /// <param name="overwrite">Whether an existing file may be replaced (on <see cref="Complete"/>).</param>
    /// <exception cref="OutputException">The path exists and <paramref name="overwrite"/> is false.</exception>
    public static RegionFileWriter Create(string path, long fileLength, ReadOnlySpan<byte> header, IEnumerable<(long Start, long Length)> regions, bool overwrite)
    {
        var list = regions.ToList();
        var pending = AtomicOutput.BeginFile(path, overwrite);
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(pending.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: fileLength);
            RandomAccess.SetLength(handle, fileLength);
            RandomAccess.Write(handle, header, 0);
            return new RegionFileWriter(pending, handle, [.. list.Select(r => r.Start)], [.. list.Select(r => r.Length)]);
        }
        catch
        {
            handle?.Dispose();
            pending.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="byteOffset"/> into region <paramref name="region"/>.</summary>
    /// <returns>Null, or the earlier write that the range overlaps (then nothing is written).</returns>
    public (long Start, long End)? Write(int region, long byteOffset, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(closed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(byteOffset, written[region].Length - data.Length);
        if (!written[region].TryAdd(byteOffset, byteOffset + data.Length, out var overlapped))
            return overlapped;
        try
        {
            RandomAccess.Write(handle, data, starts[region] + byteOffset);
        }
        catch
        {
            // The range is already recorded as written; make sure Complete cannot accept the file.
            failed = true;
            throw;
        }
        return null;
    }

    /// <summary>
    /// Puts the file in place when every region is complete; otherwise deletes it and returns why: the first
    /// incomplete region and what of it was written (region -1 when a write failed).
    /// </summary>
    public (int Region, string Detail)? Complete()
    {
        ObjectDisposedException.ThrowIf(closed, this);
        closed = true;
        try
        {
            if (failed)
                return (-1, "a write failed earlier; the file was not created");
            for (var i = 0; i < written.Length; i++)
            {
                if (!written[i].IsComplete)
                    return (i, $"only {written[i].WrittenBytes} of {written[i].Length} bytes were written (first missing byte: {written[i].FirstMissing}); the file was not created");
            }
            RandomAccess.FlushToDisk(handle);
            handle.Dispose();
            output.Commit();
            return null;
        }
        finally
        {
            handle.Dispose();
            output.Dispose();
        }
    }

    /// <summary>Closes the file; deletes it unless <see cref="Complete"/> succeeded.</summary>
    public void Dispose()
    {
        closed = true;
        handle.Dispose();
        output.Dispose();
    }
}
