using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Thaw.Tensors;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// Parses and validates a safetensors JSON header with the rules of the reference Rust reader
/// (<c>SafeTensors::read_metadata</c> and <c>Metadata::validate</c>), in the same order, plus what that reader
/// leaves to luck: duplicate keys are rejected instead of "last one wins".
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Largest header the reference reader accepts (MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const string CorruptHint = "the file is corrupt or not a safetensors file; re-download or re-save it";

    /// <summary>One tensor as the header states it, before validation.</summary>
    private sealed record Entry(string Name, int HeaderIndex, DType DType, ulong[] Shape, ulong Begin, ulong End);

    /// <summary>The validated header: tensors in data order with their offsets into the data buffer.</summary>
    public sealed record Parsed(ImmutableArray<TensorInfo> Tensors, ImmutableArray<long> DataOffsets, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>
    /// Validates <paramref name="header"/> (the N bytes after the length prefix) of a file of
    /// <paramref name="fileLength"/> bytes.
    /// </summary>
    public static Parsed Parse(ReadOnlySpan<byte> header, long fileLength, string path)
    {
        if (!Utf8.IsValid(header))
        {
            SafetensorsException.Throw(SafetensorsError.InvalidHeaderUtf8, path, null,
                $"the header is not valid UTF-8 (first bad byte at header offset {FirstInvalidUtf8(header)}); {CorruptHint}");
        }
        var (entries, metadata) = ReadJson(header, path);
        var (tensors, offsets) = Validate(entries, header.Length, fileLength, path);
        return new Parsed(tensors, offsets, metadata);
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ReadJson(ReadOnlySpan<byte> header, string path)
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        var seenMetadata = false;
        try
        {
            // Strict RFC 8259 like serde_json: no comments, no trailing commas; JSON whitespace (leading, and the
            // trailing space padding) is allowed, a byte-order mark is not.
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                SafetensorsException.Throw(SafetensorsError.InvalidHeaderJson, path, null, $"the header must be a JSON object starting with '{{'; {CorruptHint}");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                if (key == MetadataKey)
                {
                    if (seenMetadata)
                        SafetensorsException.Throw(SafetensorsError.InvalidMetadata, path, null, $"the header has two '{MetadataKey}' entries; {CorruptHint}");
                    seenMetadata = true;
                    metadata = ReadMetadata(ref reader, path);
                    continue;
                }
                if (!names.Add(key))
                {
                    SafetensorsException.Throw(SafetensorsError.DuplicateTensor, path, key,
                        $"the header names this tensor twice (the format forbids duplicate keys); {CorruptHint}");
                }
                entries.Add(ReadEntry(ref reader, key, entries.Count, path));
            }
            // Anything but whitespace after the closing brace is an error, as in serde_json::from_str.
            if (reader.Read())
                SafetensorsException.Throw(SafetensorsError.InvalidHeaderJson, path, null, $"unexpected JSON after the header object; {CorruptHint}");
        }
        catch (JsonException e)
        {
            SafetensorsException.Throw(SafetensorsError.InvalidHeaderJson, path, null,
                $"the header is not valid JSON ({e.Message.TrimEnd('.')}); {CorruptHint}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on an escaped lone surrogate ("\ud800"): not a valid string, as in serde_json.
            SafetensorsException.Throw(SafetensorsError.InvalidHeaderJson, path, null,
                $"the header holds a string that is not valid Unicode ({e.Message.TrimEnd('.')}); {CorruptHint}", e);
        }
        return (entries, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        // serde reads the Option<HashMap> from null as None, so "__metadata__": null is accepted.
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowMetadata(path, $"'{MetadataKey}' is {Describe(reader.TokenType)}, but it must be an object mapping strings to strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                ThrowMetadata(path, $"'{MetadataKey}' key '{key}' has {Describe(reader.TokenType)}, but metadata values must be strings");
            if (!metadata.TryAdd(key, reader.GetString()!))
                ThrowMetadata(path, $"'{MetadataKey}' repeats the key '{key}'");
        }
        return metadata;
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, string name, int headerIndex, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowEntry(path, name, $"the entry is {Describe(reader.TokenType)}, but it must be an object with dtype, shape and data_offsets");
        DType? dtype = null;
        ulong[]? shape = null;
        (ulong Begin, ulong End)? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            var duplicate = field switch
            {
                "dtype" => dtype is not null,
                "shape" => shape is not null,
                "data_offsets" => offsets is not null,
                _ => false,
            };
            if (duplicate)
                ThrowEntry(path, name, $"the entry has two '{field}' fields");
            reader.Read();
            switch (field)
            {
                case "dtype":
                    dtype = ReadDType(ref reader, name, path);
                    break;
                case "shape":
                    shape = ReadShape(ref reader, name, path);
                    break;
                case "data_offsets":
                    offsets = ReadOffsets(ref reader, name, path);
                    break;
                default:
                    // The reference reader (serde, no deny_unknown_fields) ignores extra fields; so do we.
                    SkipValue(ref reader);
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            var missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            ThrowEntry(path, name, $"the entry has no '{missing}' field (every tensor needs dtype, shape and data_offsets)");
        }
        return new Entry(name, headerIndex, dtype.Value, shape, offsets.Value.Begin, offsets.Value.End);
    }

    private static DType ReadDType(ref Utf8JsonReader reader, string name, string path)
    {
        if (reader.TokenType != JsonTokenType.String)
            ThrowEntry(path, name, $"'dtype' is {Describe(reader.TokenType)}, but it must be a dtype string such as \"BF16\"");
        var text = reader.GetString()!;
        if (!DTypes.TryParseSafetensorsName(text, out var dtype))
        {
            var known = string.Join(", ", Enum.GetValues<DType>().Select(DTypes.SafetensorsName));
            SafetensorsException.Throw(SafetensorsError.UnknownDType, path, name,
                $"unknown dtype \"{text}\" (known, case-sensitive: {known}); the file needs a newer reader or is corrupt");
        }
        return dtype;
    }

    private static ulong[] ReadShape(ref Utf8JsonReader reader, string name, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            ThrowShape(path, name, $"'shape' is {Describe(reader.TokenType)}, but it must be an array of non-negative integers");
        var dims = new List<ulong>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryReadUInt64(ref reader, out var dim))
            {
                ThrowShape(path, name,
                    $"shape dimension {dims.Count} is {DescribeValue(ref reader)}, but dimensions must be integers from 0 to {ulong.MaxValue}");
            }
            dims.Add(dim);
        }
        return [.. dims];
    }

    private static (ulong, ulong) ReadOffsets(ref Utf8JsonReader reader, string name, string path)
    {
        const string Rule = "'data_offsets' must be [begin, end]: two non-negative integers";
        if (reader.TokenType != JsonTokenType.StartArray)
            ThrowOffset(path, name, $"{Rule}, not {Describe(reader.TokenType)}");
        Span<ulong> values = stackalloc ulong[2];
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == 2)
                ThrowOffset(path, name, $"{Rule}; it has more than two values");
            if (!TryReadUInt64(ref reader, out values[count]))
                ThrowOffset(path, name, $"{Rule}; value {count} is {DescribeValue(ref reader)}");
            count++;
        }
        if (count != 2)
            ThrowOffset(path, name, $"{Rule}; it has {count} value(s)");
        return (values[0], values[1]);
    }

    /// <summary>
    /// Skips an ignored value, still decoding its strings: serde buffers the whole header (flatten) before it
    /// ignores anything, so a string that is not valid Unicode there fails the reference reader too.
    /// </summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            if (reader.TokenType == JsonTokenType.String)
                reader.GetString();
            return;
        }
        // Tokens inside the container are deeper; its closing token is back at the container's depth.
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                reader.GetString();
        }
    }

    /// <summary>A JSON integer in 0..2^64-1, as serde reads a usize: "1.0", "1e3" and "-0" are floats, not integers.</summary>
    private static bool TryReadUInt64(ref Utf8JsonReader reader, out ulong value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number
            && reader.ValueSpan.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0
            && reader.TryGetUInt64(out value);
    }

    /// <summary>
    /// The checks of <c>Metadata::validate</c> in its order: tensors sorted by (begin, end) must tile the data
    /// buffer from 0 without gaps or overlaps, and each must span exactly its shape's bytes; then the buffer must
    /// end exactly at the end of the file.
    /// </summary>
    private static (ImmutableArray<TensorInfo>, ImmutableArray<long>) Validate(List<Entry> entries, long headerLength, long fileLength, string path)
    {
        // Stable, with the header order as the tie-breaker, so the tensor named in an error is deterministic.
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.HeaderIndex).ToList();
        ulong start = 0;
        Entry? previous = null;
        foreach (var entry in sorted)
        {
            CheckOffsets(entry, start, previous, path);
            start = entry.End;
            previous = entry;
            var size = CheckSize(entry, path);
            if (entry.End - entry.Begin != size)
            {
                SafetensorsException.Throw(SafetensorsError.TensorInvalidInfo, path, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] span {entry.End - entry.Begin} bytes, but {DTypes.SafetensorsName(entry.DType)} " +
                    $"shape [{string.Join(", ", entry.Shape)}] needs {size} bytes; {CorruptHint}");
            }
        }

        var dataStart = 8 + headerLength;
        if ((ulong)(fileLength - dataStart) != start)
        {
            var detail = start > (ulong)(fileLength - dataStart)
                ? $"the tensor data ends at byte {dataStart}+{start} but the file has only {fileLength} bytes: the file is truncated (an interrupted download or copy); re-download it"
                : $"the file has {(ulong)(fileLength - dataStart) - start} bytes after the end of the last tensor (data ends at byte {dataStart}+{start}, the file has {fileLength}); the format forbids unindexed bytes; {CorruptHint}";
            SafetensorsException.Throw(SafetensorsError.MetadataIncompleteBuffer, path, null, detail);
        }

        var tensors = ImmutableArray.CreateBuilder<TensorInfo>(sorted.Count);
        var offsets = ImmutableArray.CreateBuilder<long>(sorted.Count);
        foreach (var entry in sorted)
        {
            // Only a zero-sized tensor gets here with a dimension beyond long (e.g. [0, 2^63]); Thaw's shapes are
            // signed, so such a file is refused where the Rust reader would accept it.
            if (entry.Shape.Any(d => d > long.MaxValue))
                ThrowShape(path, entry.Name, $"shape [{string.Join(", ", entry.Shape)}] has a dimension above {long.MaxValue}");
            tensors.Add(new TensorInfo(entry.Name, entry.DType, [.. entry.Shape.Select(d => (long)d)], (long)(entry.End - entry.Begin)));
            offsets.Add((long)entry.Begin);
        }
        return (tensors.MoveToImmutable(), offsets.MoveToImmutable());
    }

    private static void CheckOffsets(Entry entry, ulong start, Entry? previous, string path)
    {
        if (entry.Begin == start && entry.End >= entry.Begin)
            return;
        var offsets = $"data_offsets [{entry.Begin}, {entry.End}]";
        var detail = entry.End < entry.Begin ? $"{offsets} end before they begin"
            : previous is null ? $"{offsets} must begin at 0 (the first tensor of the data buffer), not at {entry.Begin}"
            : entry.Begin < start ? $"{offsets} overlap tensor '{previous.Name}', which ends at {start}"
            : $"{offsets} leave a gap of {entry.Begin - start} bytes after tensor '{previous.Name}', which ends at {start}";
        ThrowOffset(path, entry.Name, $"{detail} (tensors must tile the data buffer contiguously); {CorruptHint}");
    }

    private static ulong CheckSize(Entry entry, string path)
    {
        var bits = (ulong)DTypes.BitSize(entry.DType);
        ulong elements = 1;
        foreach (var dim in entry.Shape)
        {
            if (dim != 0 && elements > ulong.MaxValue / dim)
                ThrowOverflow(path, entry, "element count");
            elements *= dim;
        }
        if (elements > ulong.MaxValue / bits)
            ThrowOverflow(path, entry, "bit count");
        var totalBits = elements * bits;
        if (totalBits % 8 != 0)
        {
            SafetensorsException.Throw(SafetensorsError.MisalignedSlice, path, entry.Name,
                $"{elements} {DTypes.SafetensorsName(entry.DType)} elements of {bits} bits are {totalBits} bits, not whole bytes; {CorruptHint}");
        }
        return totalBits / 8;
    }

    [DoesNotReturn]
    private static void ThrowOverflow(string path, Entry entry, string what) =>
        SafetensorsException.Throw(SafetensorsError.ValidationOverflow, path, entry.Name,
            $"the {what} of {DTypes.SafetensorsName(entry.DType)} shape [{string.Join(", ", entry.Shape)}] overflows 64 bits; {CorruptHint}");

    [DoesNotReturn]
    private static void ThrowMetadata(string path, string detail) =>
        SafetensorsException.Throw(SafetensorsError.InvalidMetadata, path, null, $"{detail}; {CorruptHint}");

    [DoesNotReturn]
    private static void ThrowEntry(string path, string name, string detail) =>
        SafetensorsException.Throw(SafetensorsError.InvalidTensorEntry, path, name, $"{detail}; {CorruptHint}");

    [DoesNotReturn]
    private static void ThrowShape(string path, string name, string detail) =>
        SafetensorsException.Throw(SafetensorsError.InvalidShape, path, name, $"{detail}; {CorruptHint}");

    [DoesNotReturn]
    private static void ThrowOffset(string path, string name, string detail) =>
        SafetensorsException.Throw(SafetensorsError.InvalidOffset, path, name, detail.EndsWith(CorruptHint, StringComparison.Ordinal) ? detail : $"{detail}; {CorruptHint}");

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string DescribeValue(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        _ => Describe(reader.TokenType),
    };

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }
}
