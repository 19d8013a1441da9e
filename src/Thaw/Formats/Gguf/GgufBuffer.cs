using System.Buffers;
using System.Buffers.Binary;

namespace Thaw.Formats.Gguf;

/// <summary>Builds the header part of a GGUF file in memory: little-endian integers and u64-length strings.</summary>
internal sealed class GgufBuffer
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    public long Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    /// <summary>A GGUF string: u64 byte length, then the bytes (no terminator; not .NET's 7-bit length prefix).</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteUInt64((ulong)utf8.Length);
        WriteBytes(utf8);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteZeros(int count)
    {
        _buffer.GetSpan(count)[..count].Clear();
        _buffer.Advance(count);
    }
}
