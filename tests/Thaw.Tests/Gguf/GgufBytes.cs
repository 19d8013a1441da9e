using System.Buffers.Binary;
using System.Text;

namespace Thaw.Tests.Gguf;

/// <summary>Builds GGUF files byte by byte, so that tests can break any rule on purpose.</summary>
internal sealed class GgufBytes
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    /// <summary>"GGUF", the version and the two counts.</summary>
    public static GgufBytes Header(ulong tensors, ulong keyValues, uint version = 3) =>
        new GgufBytes().Raw("GGUF"u8).U32(version).U64(tensors).U64(keyValues);

    public GgufBytes Raw(ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public GgufBytes U8(byte value) => Raw([value]);

    public GgufBytes U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Raw(b);
    }

    public GgufBytes Str(string value) => Str(Encoding.UTF8.GetBytes(value));

    public GgufBytes Str(byte[] value) => U64((ulong)value.Length).Raw(value);

    /// <summary>A UINT32 key/value.</summary>
    public GgufBytes KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    /// <summary>A STRING key/value.</summary>
    public GgufBytes KvStr(string key, string value) => Str(key).U32(8).Str(value);

    /// <summary>A tensor info.</summary>
    public GgufBytes Tensor(string name, ulong[] ne, uint type, ulong offset)
    {
        Str(name).U32((uint)ne.Length);
        foreach (var d in ne)
            U64(d);
        return U32(type).U64(offset);
    }

    /// <summary>Zero padding to the next multiple of <paramref name="alignment"/>.</summary>
    public GgufBytes Align(int alignment = 32) => Zeros((alignment - (Length % alignment)) % alignment);

    public GgufBytes Zeros(int count) => Raw(new byte[count]);

    public byte[] ToArray() => [.. _bytes];
}
