using System.Collections.Immutable;
using System.Text;

namespace Thaw.Formats.Gguf;

/// <summary>Parses and validates a GGUF header with the rules of ggml's reader (<c>gguf.cpp</c>).</summary>
internal static class GgufHeader
{
    /// <summary>"GGUF" as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Default data alignment (GGUF_DEFAULT_ALIGNMENT).</summary>
    public const int DefaultAlignment = 32;

    /// <summary>The metadata key that overrides the alignment.</summary>
    public const string AlignmentKey = "general.alignment";

    /// <summary>ggml's limit on one string (1 GiB).</summary>
    public const long MaxStringLength = 1L << 30;

    /// <summary>Thaw's limit on one metadata array (count times the smallest element size); tokenizer arrays are megabytes.</summary>
    public const long MaxArrayBytes = 1L << 30;

    /// <summary>GGML_MAX_NAME: tensor names must be shorter.</summary>
    public const int MaxTensorNameBytes = 64;

    /// <summary>GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Arrays of arrays deeper than this are refused (ggml refuses any nesting).</summary>
    public const int MaxArrayDepth = 8;

    // The fewest bytes a key/value (8-byte length, 1-byte key, type, 1-byte value) and a tensor info
    // (8-byte length, 1-byte name, n_dims, one dimension, type, offset) can take: counts are checked against them.
    private const long MinKeyValueBytes = 8 + 1 + 4 + 1;
    private const long MinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public sealed record Parsed(uint Version, GgufMetadata Metadata, ImmutableArray<GgufTensorInfo> Tensors, int Alignment, long DataStart);

    public static Parsed Parse(GgufCursor cursor)
    {
        var path = cursor.Path;
        if (cursor.FileLength < 4 || cursor.ReadUInt32("the magic") != Magic)
        {
            GgufException.Throw(GgufError.BadMagic, path, null,
                "the file does not start with \"GGUF\"; it is not a GGUF file (or an old GGML/GGJT file, which llama.cpp no longer reads)");
        }
        var version = cursor.ReadUInt32("the version");
        CheckVersion(version, path);
        var tensorCount = ReadCount(cursor, "tensor", MinTensorInfoBytes);
        var kvCount = ReadCount(cursor, "key/value", MinKeyValueBytes);

        var entries = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(kvCount, 4096));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            var key = ReadText(cursor, $"the key of key/value {i}", MaxStringLength);
            if (key.Length == 0)
                GgufException.Throw(GgufError.EmptyKey, path, null, $"key/value {i} has an empty key; keys must be non-empty");
            if (!keys.Add(key))
                GgufException.Throw(GgufError.DuplicateKey, path, null, $"metadata key '{key}' appears twice (again as key/value {i}); keys must be unique");
            var type = ReadValueType(cursor, key);
            entries.Add(new(key, ReadValue(cursor, type, key, depth: 0)));
        }
        var metadata = new GgufMetadata(entries, path);
        var alignment = ReadAlignment(metadata, path);

        var infos = new List<(string Name, ImmutableArray<long> Ne, GgmlType Type, long Bytes, ulong Offset)>((int)Math.Min(tensorCount, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
            infos.Add(ReadTensorInfo(cursor, i, names));

        var dataStart = cursor.Position;
        if (tensorCount > 0)
        {
            dataStart = Align(cursor.Position, alignment);
            if (dataStart > cursor.FileLength)
            {
                GgufException.Throw(GgufError.Truncated, path, null,
                    $"the file ends at byte {cursor.FileLength}, before the data section, which starts at byte {dataStart} (alignment {alignment}); the file is truncated");
            }
        }

        var available = cursor.FileLength - dataStart;
        var tensors = ImmutableArray.CreateBuilder<GgufTensorInfo>(infos.Count);
        long expected = 0;
        foreach (var (name, ne, type, bytes, offset) in infos)
        {
            if (offset % (ulong)alignment != 0)
            {
                GgufException.Throw(GgufError.MisalignedOffset, path, name,
                    $"data offset {offset} is not a multiple of the alignment {alignment}");
            }
            if (offset > (ulong)available || bytes > available - (long)offset)
            {
                GgufException.Throw(GgufError.DataOutOfBounds, path, name,
                    $"{bytes} bytes at offset {offset} of the data section (which starts at byte {dataStart}) end past the end of the file ({cursor.FileLength} bytes); the file is truncated or its offsets are corrupt");
            }
            if ((long)offset != expected)
            {
                GgufException.Throw(GgufError.UnexpectedOffset, path, name,
                    $"has offset {offset}, expected {expected}: tensor data must follow the tensor infos' order densely, each padded to {alignment} bytes (data would overlap or leave a gap)");
            }
            tensors.Add(new GgufTensorInfo(name, ne, type, (long)offset, bytes));
            expected = Align(expected + bytes, alignment);
        }
        return new Parsed(version, metadata, tensors.MoveToImmutable(), alignment, dataStart);
    }

    /// <summary>align(x) = x + (A - x % A) % A.</summary>
    public static long Align(long value, int alignment) => value + ((alignment - (value % alignment)) % alignment);

    private static void CheckVersion(uint version, string path)
    {
        if (version == 0)
            GgufException.Throw(GgufError.UnsupportedVersion, path, null, "GGUF version 0 does not exist; the header is corrupt");
        if ((version & 0xFFFF) == 0)
        {
            GgufException.Throw(GgufError.UnsupportedVersion, path, null,
                $"version field 0x{version:X8} looks byte-swapped: the file is a big-endian GGUF, which Thaw and llama.cpp on little-endian machines cannot read");
        }
        if (version is 1)
            GgufException.Throw(GgufError.UnsupportedVersion, path, null, "GGUF version 1 (32-bit counts) is no longer supported; convert the model again with a current llama.cpp");
        if (version is not (2 or 3))
            GgufException.Throw(GgufError.UnsupportedVersion, path, null, $"GGUF version {version} is not supported (Thaw reads versions 2 and 3)");
    }

    private static long ReadCount(GgufCursor cursor, string what, long minBytesEach)
    {
        var count = cursor.ReadUInt64($"the {what} count");
        // Each entry needs at least minBytesEach bytes, so a count the rest of the file cannot hold is corrupt.
        if (count > (ulong)(cursor.Remaining / minBytesEach))
        {
            GgufException.Throw(GgufError.CountTooLarge, cursor.Path, null,
                $"the {what} count {count} cannot fit in the {cursor.Remaining} bytes left in the file (each takes at least {minBytesEach}); the header is corrupt");
        }
        return (long)count;
    }

    private static GgufValueType ReadValueType(GgufCursor cursor, string key)
    {
        var id = cursor.ReadUInt32($"the type of '{key}'");
        if (id >= GgufValueTypes.Count)
        {
            GgufException.Throw(GgufError.UnknownValueType, cursor.Path, null,
                $"metadata key '{key}' has value type id {id}; GGUF value types are 0..{GgufValueTypes.Count - 1}");
        }
        return (GgufValueType)id;
    }

    private static GgufValue ReadValue(GgufCursor cursor, GgufValueType type, string key, int depth)
    {
        switch (type)
        {
            case GgufValueType.String:
                return GgufValue.StringFromBytes(ReadStringBytes(cursor, $"the value of '{key}'", MaxStringLength));
            case GgufValueType.Array:
                return ReadArray(cursor, key, depth);
            default:
                var size = GgufValueTypes.FixedSize(type);
                ulong bits = size switch
                {
                    1 => cursor.ReadUInt8($"the value of '{key}'"),
                    2 => BitConverter.ToUInt16(cursor.ReadBytes(2, $"the value of '{key}'")),
                    4 => cursor.ReadUInt32($"the value of '{key}'"),
                    _ => cursor.ReadUInt64($"the value of '{key}'"),
                };
                return GgufValue.ScalarFromBits(type, bits);
        }
    }

    private static GgufValue ReadArray(GgufCursor cursor, string key, int depth)
    {
        if (depth >= MaxArrayDepth)
        {
            GgufException.Throw(GgufError.NestingTooDeep, cursor.Path, null,
                $"metadata key '{key}' nests arrays more than {MaxArrayDepth} deep (llama.cpp refuses any nesting)");
        }
        var elementType = ReadValueType(cursor, key);
        var count = cursor.ReadUInt64($"the array length of '{key}'");
        var minimum = GgufValueTypes.MinimumSize(elementType);
        if (count > (ulong)(cursor.Remaining / minimum))
        {
            GgufException.Throw(GgufError.CountTooLarge, cursor.Path, null,
                $"metadata key '{key}' is an array of {count} {GgufValueTypes.Name(elementType)} elements, more than the {cursor.Remaining} bytes left in the file can hold; the file is corrupt");
        }
        if (count > (ulong)(MaxArrayBytes / minimum))
        {
            GgufException.Throw(GgufError.CountTooLarge, cursor.Path, null,
                $"metadata key '{key}' is an array of {count} {GgufValueTypes.Name(elementType)} elements, above Thaw's limit of {MaxArrayBytes} bytes per array");
        }
        var n = (int)count;
        // Lists grow as elements are actually read, so memory follows the bytes present, not the count claimed.
        switch (elementType)
        {
            case GgufValueType.String:
                var strings = new List<byte[]>(Math.Min(n, 4096));
                for (var i = 0; i < n; i++)
                    strings.Add(ReadStringBytes(cursor, $"element {i} of '{key}'", MaxStringLength));
                return GgufValue.StringArrayFromBytes([.. strings]);
            case GgufValueType.Array:
                var arrays = new List<GgufValue>(Math.Min(n, 4096));
                for (var i = 0; i < n; i++)
                    arrays.Add(ReadArray(cursor, key, depth + 1));
                return GgufValue.ArrayOfArrays([.. arrays]);
            default:
                return GgufValue.FixedArrayFromBytes(elementType, cursor.ReadBytes((long)n * minimum, $"the elements of '{key}'"));
        }
    }

    private static byte[] ReadStringBytes(GgufCursor cursor, string what, long maxLength, GgufError tooLong = GgufError.StringTooLong)
    {
        var length = cursor.ReadUInt64($"the length of {what}");
        if (length > (ulong)maxLength || length > (ulong)cursor.Remaining)
        {
            var limit = length > (ulong)maxLength
                ? $"above the limit of {maxLength} bytes"
                : $"past the end of the file ({cursor.Remaining} bytes left)";
            GgufException.Throw(tooLong, cursor.Path, null, $"{what} has length {length}, {limit}");
        }
        return cursor.ReadBytes((long)length, what);
    }

    private static string ReadText(GgufCursor cursor, string what, long maxLength, GgufError tooLong = GgufError.StringTooLong)
    {
        var bytes = ReadStringBytes(cursor, what, maxLength, tooLong);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            GgufException.Throw(GgufError.InvalidUtf8, cursor.Path, null, $"{what} is not valid UTF-8 (bytes {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 32)))})");
            return null;
        }
    }

    private static int ReadAlignment(GgufMetadata metadata, string path)
    {
        if (!metadata.TryGetValue(AlignmentKey, out var value))
            return DefaultAlignment;
        if (value.Type != GgufValueType.UInt32)
        {
            GgufException.Throw(GgufError.InvalidAlignment, path, null,
                $"'{AlignmentKey}' has type {value.TypeName}; llama.cpp requires uint32");
        }
        var alignment = value.AsUInt32();
        if (alignment == 0 || !uint.IsPow2(alignment) || alignment > int.MaxValue)
        {
            GgufException.Throw(GgufError.InvalidAlignment, path, null,
                $"'{AlignmentKey}' is {alignment}; it must be a power of two");
        }
        return (int)alignment;
    }

    private static (string, ImmutableArray<long>, GgmlType, long, ulong) ReadTensorInfo(GgufCursor cursor, long index, HashSet<string> names)
    {
        var path = cursor.Path;
        var name = ReadText(cursor, $"the name of tensor {index}", MaxTensorNameBytes - 1, GgufError.TensorNameTooLong);
        if (!names.Add(name))
            GgufException.Throw(GgufError.DuplicateTensor, path, name, "appears twice; tensor names must be unique");

        var dims = cursor.ReadUInt32("the dimension count");
        if (dims > MaxDimensions)
            GgufException.Throw(GgufError.TooManyDimensions, path, name, $"has {dims} dimensions; ggml allows at most {MaxDimensions}");
        var ne = new long[dims];
        for (var d = 0; d < ne.Length; d++)
        {
            var value = cursor.ReadUInt64("a dimension");
            if (value > long.MaxValue)
                GgufException.Throw(GgufError.InvalidShape, path, name, $"dimension {d} is {value}, above 2^63 - 1 (ggml reads it as a signed 64-bit number)");
            ne[d] = (long)value;
        }
        var typeId = cursor.ReadUInt32("the tensor type");
        if (!GgmlTypes.IsKnown(typeId))
        {
            GgufException.Throw(GgufError.UnknownTensorType, path, name,
                $"has ggml type id {typeId}, which is not a ggml type (removed, or newer than the {GgmlTypes.Count} types Thaw knows)");
        }
        var type = (GgmlType)typeId;
        var offset = cursor.ReadUInt64("the data offset");

        long elements = 1;
        foreach (var d in ne)
        {
            if (d != 0 && elements > long.MaxValue / d)
                GgufException.Throw(GgufError.InvalidShape, path, name, $"dimensions [{string.Join(", ", ne)}] overflow a 64-bit element count");
            elements *= d;
        }
        var block = GgmlTypes.BlockSize(type);
        var rowLength = ne.Length == 0 ? 1 : ne[0];
        if (rowLength % block != 0)
        {
            GgufException.Throw(GgufError.RowNotBlockAligned, path, name,
                $"row length ne[0] = {rowLength} is not a multiple of the {GgmlTypes.Name(type)} block size {block}");
        }
        if (!GgmlTypes.TryByteLength(type, ne, out var bytes))
            GgufException.Throw(GgufError.InvalidShape, path, name, $"dimensions [{string.Join(", ", ne)}] of type {GgmlTypes.Name(type)} overflow a 64-bit byte size");
        return (name, [.. ne], type, bytes, offset);
    }
}
