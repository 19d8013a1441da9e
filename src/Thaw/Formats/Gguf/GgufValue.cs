using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Thaw.Formats.Gguf;

/// <summary>
/// One GGUF metadata value, kept exactly as stored: scalars as their raw bits, strings as their UTF-8 bytes (so a
/// value read from a file is written back byte for byte, even when it is not valid UTF-8), arrays of fixed-width
/// elements as their little-endian bytes. Immutable.
/// </summary>
public sealed class GgufValue
{
    private readonly ulong _bits;
    private readonly byte[]? _bytes;
    private readonly byte[][]? _strings;
    private readonly GgufValue[]? _arrays;

    private GgufValue(GgufValueType type, GgufValueType? elementType, ulong bits, byte[]? bytes, byte[][]? strings, GgufValue[]? arrays)
    {
        Type = type;
        ElementType = elementType;
        _bits = bits;
        _bytes = bytes;
        _strings = strings;
        _arrays = arrays;
    }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>The element type of an array; null for other values.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The number of elements of an array; 0 for other values.</summary>
    public long Length => ElementType switch
    {
        null => 0,
        GgufValueType.String => _strings!.Length,
        GgufValueType.Array => _arrays!.Length,
        { } e => _bytes!.Length / GgufValueTypes.FixedSize(e),
    };

    public static GgufValue FromUInt8(byte value) => Scalar(GgufValueType.UInt8, value);
    public static GgufValue FromInt8(sbyte value) => Scalar(GgufValueType.Int8, (byte)value);
    public static GgufValue FromUInt16(ushort value) => Scalar(GgufValueType.UInt16, value);
    public static GgufValue FromInt16(short value) => Scalar(GgufValueType.Int16, (ushort)value);
    public static GgufValue FromUInt32(uint value) => Scalar(GgufValueType.UInt32, value);
    public static GgufValue FromInt32(int value) => Scalar(GgufValueType.Int32, (uint)value);
    public static GgufValue FromFloat32(float value) => Scalar(GgufValueType.Float32, BitConverter.SingleToUInt32Bits(value));
    public static GgufValue FromBool(bool value) => Scalar(GgufValueType.Bool, value ? 1UL : 0UL);
    public static GgufValue FromUInt64(ulong value) => Scalar(GgufValueType.UInt64, value);
    public static GgufValue FromInt64(long value) => Scalar(GgufValueType.Int64, (ulong)value);
    public static GgufValue FromFloat64(double value) => Scalar(GgufValueType.Float64, BitConverter.DoubleToUInt64Bits(value));

    /// <summary>A STRING value (UTF-8, no terminator).</summary>
    public static GgufValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, null, 0, Encoding.UTF8.GetBytes(value), null, null);
    }

    /// <summary>A STRING value from raw bytes, kept as they are.</summary>
    public static GgufValue FromUtf8(ReadOnlySpan<byte> value) => new(GgufValueType.String, null, 0, value.ToArray(), null, null);

    /// <summary>An ARRAY of STRING.</summary>
    public static GgufValue FromStrings(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(GgufValueType.Array, GgufValueType.String, 0, null, [.. values.Select(Encoding.UTF8.GetBytes)], null);
    }

    /// <summary>An ARRAY of ARRAY (allowed by the GGUF spec, refused by ggml's reader and by GgufWriter).</summary>
    public static GgufValue FromArrays(IEnumerable<GgufValue> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var items = arrays.ToArray();
        if (items.Any(a => a.Type != GgufValueType.Array))
            throw new ArgumentException("every element of an array of arrays must be an array", nameof(arrays));
        return new(GgufValueType.Array, GgufValueType.Array, 0, null, null, items);
    }

    public static GgufValue FromArray(ReadOnlySpan<byte> values) => Fixed(GgufValueType.UInt8, values);
    public static GgufValue FromArray(ReadOnlySpan<sbyte> values) => Fixed(GgufValueType.Int8, values);
    public static GgufValue FromArray(ReadOnlySpan<ushort> values) => Fixed(GgufValueType.UInt16, values);
    public static GgufValue FromArray(ReadOnlySpan<short> values) => Fixed(GgufValueType.Int16, values);
    public static GgufValue FromArray(ReadOnlySpan<uint> values) => Fixed(GgufValueType.UInt32, values);
    public static GgufValue FromArray(ReadOnlySpan<int> values) => Fixed(GgufValueType.Int32, values);
    public static GgufValue FromArray(ReadOnlySpan<float> values) => Fixed(GgufValueType.Float32, values);
    public static GgufValue FromArray(ReadOnlySpan<bool> values) => Fixed(GgufValueType.Bool, values);
    public static GgufValue FromArray(ReadOnlySpan<ulong> values) => Fixed(GgufValueType.UInt64, values);
    public static GgufValue FromArray(ReadOnlySpan<long> values) => Fixed(GgufValueType.Int64, values);
    public static GgufValue FromArray(ReadOnlySpan<double> values) => Fixed(GgufValueType.Float64, values);

    public byte AsUInt8() => (byte)ScalarBits(GgufValueType.UInt8);
    public sbyte AsInt8() => (sbyte)ScalarBits(GgufValueType.Int8);
    public ushort AsUInt16() => (ushort)ScalarBits(GgufValueType.UInt16);
    public short AsInt16() => (short)ScalarBits(GgufValueType.Int16);
    public uint AsUInt32() => (uint)ScalarBits(GgufValueType.UInt32);
    public int AsInt32() => (int)ScalarBits(GgufValueType.Int32);
    public float AsFloat32() => BitConverter.UInt32BitsToSingle((uint)ScalarBits(GgufValueType.Float32));
    public ulong AsUInt64() => ScalarBits(GgufValueType.UInt64);
    public long AsInt64() => (long)ScalarBits(GgufValueType.Int64);
    public double AsFloat64() => BitConverter.UInt64BitsToDouble(ScalarBits(GgufValueType.Float64));

    /// <summary>A BOOL; any non-zero byte is true, as in ggml.</summary>
    public bool AsBool() => ScalarBits(GgufValueType.Bool) != 0;

    /// <summary>A STRING decoded from UTF-8 (invalid bytes become U+FFFD).</summary>
    public string AsString() => Encoding.UTF8.GetString(AsUtf8());

    /// <summary>A STRING's raw bytes.</summary>
    public ReadOnlySpan<byte> AsUtf8()
    {
        Expect(GgufValueType.String, null);
        return _bytes;
    }

    public ReadOnlySpan<byte> AsUInt8Array() => FixedArray<byte>(GgufValueType.UInt8);
    public ReadOnlySpan<sbyte> AsInt8Array() => FixedArray<sbyte>(GgufValueType.Int8);
    public ReadOnlySpan<ushort> AsUInt16Array() => FixedArray<ushort>(GgufValueType.UInt16);
    public ReadOnlySpan<short> AsInt16Array() => FixedArray<short>(GgufValueType.Int16);
    public ReadOnlySpan<uint> AsUInt32Array() => FixedArray<uint>(GgufValueType.UInt32);
    public ReadOnlySpan<int> AsInt32Array() => FixedArray<int>(GgufValueType.Int32);
    public ReadOnlySpan<float> AsFloat32Array() => FixedArray<float>(GgufValueType.Float32);
    public ReadOnlySpan<ulong> AsUInt64Array() => FixedArray<ulong>(GgufValueType.UInt64);
    public ReadOnlySpan<long> AsInt64Array() => FixedArray<long>(GgufValueType.Int64);
    public ReadOnlySpan<double> AsFloat64Array() => FixedArray<double>(GgufValueType.Float64);

    /// <summary>A BOOL array's raw bytes (0 = false).</summary>
    public ReadOnlySpan<byte> AsBoolArray() => FixedArray<byte>(GgufValueType.Bool);

    /// <summary>An array of STRING, each decoded from UTF-8.</summary>
    public IReadOnlyList<string> AsStringArray()
    {
        Expect(GgufValueType.Array, GgufValueType.String);
        return [.. _strings!.Select(s => Encoding.UTF8.GetString(s))];
    }

    /// <summary>One element of an array of STRING, as raw bytes.</summary>
    public ReadOnlySpan<byte> StringElementUtf8(int index)
    {
        Expect(GgufValueType.Array, GgufValueType.String);
        return _strings![index];
    }

    /// <summary>The elements of an array of arrays.</summary>
    public IReadOnlyList<GgufValue> AsArrayArray()
    {
        Expect(GgufValueType.Array, GgufValueType.Array);
        return _arrays!;
    }

    /// <summary>"uint32", "string", "array[float32]", "array[array]".</summary>
    public string TypeName => ElementType is { } e ? $"array[{GgufValueTypes.Name(e)}]" : GgufValueTypes.Name(Type);

    /// <summary>
    /// The value as text: numbers in invariant culture (floats shortest round-trip), bools "true"/"false",
    /// strings as they are, arrays summarized as "array[type] of N".
    /// </summary>
    public override string ToString() => Type switch
    {
        GgufValueType.Array => $"{TypeName} of {Length}",
        GgufValueType.String => AsString(),
        GgufValueType.Bool => AsBool() ? "true" : "false",
        GgufValueType.Float32 => AsFloat32().ToString(CultureInfo.InvariantCulture),
        GgufValueType.Float64 => AsFloat64().ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int8 => AsInt8().ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int16 => AsInt16().ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int32 => AsInt32().ToString(CultureInfo.InvariantCulture),
        GgufValueType.Int64 => AsInt64().ToString(CultureInfo.InvariantCulture),
        _ => _bits.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Appends the value (without the key and the type id) in file form.</summary>
    internal void WriteTo(GgufBuffer buffer)
    {
        switch (Type)
        {
            case GgufValueType.String:
                buffer.WriteString(_bytes!);
                break;
            case GgufValueType.Array:
                buffer.WriteUInt32((uint)ElementType!.Value);
                buffer.WriteUInt64((ulong)Length);
                if (_strings is not null)
                {
                    foreach (var s in _strings)
                        buffer.WriteString(s);
                }
                else if (_arrays is not null)
                {
                    foreach (var a in _arrays)
                        a.WriteTo(buffer);
                }
                else
                {
                    buffer.WriteBytes(_bytes!);
                }
                break;
            default:
                Span<byte> raw = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(raw, _bits);
                buffer.WriteBytes(raw[..GgufValueTypes.FixedSize(Type)]);
                break;
        }
    }

    internal static GgufValue ScalarFromBits(GgufValueType type, ulong bits) => Scalar(type, bits);

    internal static GgufValue StringFromBytes(byte[] bytes) => new(GgufValueType.String, null, 0, bytes, null, null);

    internal static GgufValue FixedArrayFromBytes(GgufValueType elementType, byte[] littleEndian) =>
        new(GgufValueType.Array, elementType, 0, littleEndian, null, null);

    internal static GgufValue StringArrayFromBytes(byte[][] strings) => new(GgufValueType.Array, GgufValueType.String, 0, null, strings, null);

    internal static GgufValue ArrayOfArrays(GgufValue[] arrays) => new(GgufValueType.Array, GgufValueType.Array, 0, null, null, arrays);

    private static GgufValue Scalar(GgufValueType type, ulong bits) => new(type, null, bits, null, null, null);

    private static GgufValue Fixed<T>(GgufValueType elementType, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        // Element bytes are stored little-endian, which is the memory order on every platform .NET runs Thaw on.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("GGUF arrays need a little-endian machine");
        return new(GgufValueType.Array, elementType, 0, MemoryMarshal.AsBytes(values).ToArray(), null, null);
    }

    private ulong ScalarBits(GgufValueType type)
    {
        Expect(type, null);
        return _bits;
    }

    private ReadOnlySpan<T> FixedArray<T>(GgufValueType elementType)
        where T : unmanaged
    {
        Expect(GgufValueType.Array, elementType);
        Debug.Assert(Unsafe.SizeOf<T>() == GgufValueTypes.FixedSize(elementType));
        return MemoryMarshal.Cast<byte, T>(_bytes);
    }

    private void Expect(GgufValueType type, GgufValueType? elementType)
    {
        if (Type != type || ElementType != elementType)
        {
            var wanted = elementType is { } e ? $"array[{GgufValueTypes.Name(e)}]" : GgufValueTypes.Name(type);
            throw new GgufException(GgufError.WrongValueType, null, null, $"the value is {TypeName}, not {wanted}");
        }
    }
}
