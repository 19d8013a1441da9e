using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Thaw.Formats.Gguf;

/// <summary>
/// Sequential little-endian reads through a window over a file, for the GGUF header. Every length is checked
/// against the bytes left in the file before anything is allocated for it.
/// </summary>
internal sealed class GgufCursor
{
    private const int WindowSize = 1 << 16;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _window = new byte[WindowSize];
    private long _windowStart;
    private int _windowLength;

    public GgufCursor(SafeFileHandle handle, long fileLength, string path)
    {
        _handle = handle;
        FileLength = fileLength;
        Path = path;
    }

    public string Path { get; }

    public long FileLength { get; }

    public long Position { get; private set; }

    public long Remaining => FileLength - Position;

    public byte ReadUInt8(string what) => Take(1, what)[0];

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    /// <summary>Reads <paramref name="count"/> bytes into a new array; the caller has checked count against <see cref="Remaining"/>.</summary>
    public byte[] ReadBytes(long count, string what)
    {
        if (count > Remaining)
            Truncated(count, what);
        var result = new byte[count];
        var done = 0;
        while (done < result.Length)
        {
            if (Position >= _windowStart + _windowLength)
                Fill(what, 1);
            var offset = (int)(Position - _windowStart);
            var n = Math.Min(_windowLength - offset, result.Length - done);
            _window.AsSpan(offset, n).CopyTo(result.AsSpan(done));
            done += n;
            Position += n;
        }
        return result;
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (Position + count > _windowStart + _windowLength)
            Fill(what, count);
        var span = _window.AsSpan((int)(Position - _windowStart), count);
        Position += count;
        return span;
    }

    private void Fill(string what, int needed)
    {
        if (needed > Remaining)
            Truncated(needed, what);
        _windowStart = Position;
        _windowLength = 0;
        var want = (int)Math.Min(WindowSize, Remaining);
        while (_windowLength < want)
        {
            var read = RandomAccess.Read(_handle, _window.AsSpan(_windowLength, want - _windowLength), _windowStart + _windowLength);
            if (read == 0)
                break;
            _windowLength += read;
        }
        if (_windowLength < needed)
            Truncated(needed, what);
    }

    private void Truncated(long count, string what) =>
        GgufException.Throw(GgufError.Truncated, Path, null,
            $"the file ends at byte {FileLength} while reading {what} ({count} bytes at byte {Position}); the file is truncated or not a GGUF file");
}
