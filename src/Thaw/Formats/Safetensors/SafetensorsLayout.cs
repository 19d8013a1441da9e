using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Thaw.Tensors;
using Thaw.Formats.Json;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// Where every byte of a safetensors file goes, computed before any is written, exactly as the reference writer
/// (<c>safetensors::tensor::prepare</c>) lays it out: tensors sorted by dtype descending (the <see cref="DType"/>
/// order) then by name, contiguous from offset 0; header = compact JSON with <c>__metadata__</c> first and the
/// tensors in offset order, padded with spaces to a multiple of 8 bytes.
/// </summary>
public sealed class SafetensorsLayout
{
    /// <summary>The metadata transformers and PEFT write: <c>{"format": "pt"}</c>.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> DefaultMetadata = [new("format", "pt")];

    private const string MetadataKey = "__metadata__";

    private readonly ImmutableArray<long> _dataOffsets;
    private readonly Dictionary<string, int> _indexByName;
    private readonly byte[] _prefix;

    private SafetensorsLayout(ImmutableArray<TensorInfo> tensors, ImmutableArray<long> dataOffsets,
        IReadOnlyList<KeyValuePair<string, string>> metadata, byte[] prefix, long dataLength)
    {
        Tensors = tensors;
        _dataOffsets = dataOffsets;
        Metadata = metadata;
        _prefix = prefix;
        DataLength = dataLength;
        _indexByName = new Dictionary<string, int>(tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++)
            _indexByName.Add(tensors[i].Name, i);
    }

    /// <summary>The tensors in file (data) order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries in the order they are written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>N, the padded byte length of the JSON header.</summary>
    public long HeaderLength => _prefix.Length - 8;

    /// <summary>Where the data buffer starts: 8 + <see cref="HeaderLength"/>.</summary>
    public long DataStart => _prefix.Length;

    /// <summary>Total bytes of tensor data.</summary>
    public long DataLength { get; }

    /// <summary>The size of the whole file.</summary>
    public long FileLength => DataStart + DataLength;

    /// <summary>The 8-byte length followed by the padded header.</summary>
    internal ReadOnlySpan<byte> Prefix => _prefix;

    /// <summary>
    /// Lays out <paramref name="tensors"/> (any order; each must carry its exact byte length).
    /// <paramref name="metadata"/> defaults to <see cref="DefaultMetadata"/>; an empty list writes no
    /// <c>__metadata__</c>. Metadata is written in the given order: the Rust writer keeps it in a HashMap, so with
    /// more than one key its order there is arbitrary.
    /// </summary>
    /// <exception cref="SafetensorsException">Duplicate or reserved names, duplicate metadata keys, or a header
    /// above the 100,000,000-byte limit.</exception>
    public static SafetensorsLayout Create(IEnumerable<TensorInfo> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var metadataList = (metadata ?? DefaultMetadata).ToList();
        var sorted = tensors.ToList();
        CheckNames(sorted, metadataList);
        sorted.Sort((a, b) => a.DType != b.DType ? b.DType.CompareTo(a.DType) : CodePointComparer.Instance.Compare(a.Name, b.Name));

        var offsets = ImmutableArray.CreateBuilder<long>(sorted.Count);
        long offset = 0;
        foreach (var tensor in sorted)
        {
            offsets.Add(offset);
            offset = checked(offset + tensor.ByteLength);
        }
        var header = BuildHeader(sorted, offsets, metadataList);
        return new SafetensorsLayout([.. sorted], offsets.MoveToImmutable(), metadataList, header, offset);
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorInfo? tensor)
    {
        tensor = _indexByName.TryGetValue(name, out var index) ? Tensors[index] : null;
        return tensor is not null;
    }

    /// <summary>The offset of a tensor's first byte in the data buffer (add <see cref="DataStart"/> for the file).</summary>
    public long GetDataOffset(string name) =>
        _indexByName.TryGetValue(name, out var index)
            ? _dataOffsets[index]
            : throw new ArgumentException($"tensor '{name}' is not part of this layout", nameof(name));

    internal int IndexOf(string name) => _indexByName.TryGetValue(name, out var index) ? index : -1;

    internal long DataOffsetAt(int index) => _dataOffsets[index];

    private static void CheckNames(List<TensorInfo> tensors, List<KeyValuePair<string, string>> metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            if (tensor.Name == MetadataKey || !IsValidUnicode(tensor.Name))
            {
                SafetensorsException.Throw(SafetensorsError.InvalidTensorName, null, tensor.Name,
                    $"cannot be written: '{MetadataKey}' is reserved and names must be valid Unicode; rename the tensor");
            }
            if (!names.Add(tensor.Name))
                SafetensorsException.Throw(SafetensorsError.DuplicateTensor, null, tensor.Name, "is listed twice for one file; each tensor name must be unique");
            var expected = TensorInfo.TryComputeByteLength(tensor.DType, tensor.Shape.AsSpan());
            if (expected != tensor.ByteLength)
            {
                throw new ArgumentException(
                    $"tensor '{tensor.Name}' {DTypes.SafetensorsName(tensor.DType)} {tensor.ShapeText} claims {tensor.ByteLength} bytes, but its shape needs {expected?.ToString(CultureInfo.InvariantCulture) ?? "a whole, non-overflowing number of"} bytes",
                    nameof(tensors));
            }
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (key is null || value is null || !IsValidUnicode(key) || !IsValidUnicode(value) || !keys.Add(key))
            {
                SafetensorsException.Throw(SafetensorsError.InvalidMetadata, null, null,
                    $"metadata key '{key}' is null, repeated or not valid Unicode; metadata must map unique strings to strings");
            }
        }
    }

    private static byte[] BuildHeader(List<TensorInfo> tensors, ImmutableArray<long>.Builder offsets, List<KeyValuePair<string, string>> metadata)
    {
        var json = new StringBuilder("{");
        if (metadata.Count > 0)
        {
            JsonText.AppendSerdeString(json, MetadataKey);
            json.Append(":{");
            for (var i = 0; i < metadata.Count; i++)
            {
                if (i > 0)
                    json.Append(',');
                JsonText.AppendSerdeString(json, metadata[i].Key);
                json.Append(':');
                JsonText.AppendSerdeString(json, metadata[i].Value);
            }
            json.Append('}');
        }
        for (var i = 0; i < tensors.Count; i++)
        {
            if (i > 0 || metadata.Count > 0)
                json.Append(',');
            var tensor = tensors[i];
            JsonText.AppendSerdeString(json, tensor.Name);
            json.Append(CultureInfo.InvariantCulture, $":{{\"dtype\":\"{DTypes.SafetensorsName(tensor.DType)}\",\"shape\":[{string.Join(',', tensor.Shape)}],");
            json.Append(CultureInfo.InvariantCulture, $"\"data_offsets\":[{offsets[i]},{offsets[i] + tensor.ByteLength}]}}");
        }
        json.Append('}');

        // UTF-8 never has fewer bytes than UTF-16 has chars, so an oversized header is refused before it is encoded.
        var text = json.Length <= SafetensorsHeader.MaxHeaderLength ? json.ToString() : null;
        var headerLength = text is null ? json.Length : (Encoding.UTF8.GetByteCount(text) + 7L) / 8 * 8;
        if (text is null || headerLength > SafetensorsHeader.MaxHeaderLength)
        {
            SafetensorsException.Throw(SafetensorsError.HeaderTooLarge, null, null,
                $"the header would be {(text is null ? "over " : "")}{headerLength} bytes, above the limit of {SafetensorsHeader.MaxHeaderLength} that readers accept; split the tensors over more files or shorten the metadata");
        }
        var prefix = new byte[8 + headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerLength);
        var written = Encoding.UTF8.GetBytes(text, prefix.AsSpan(8));
        prefix.AsSpan(8 + written).Fill((byte)' ');
        return prefix;
    }

    private static bool IsValidUnicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return false;
        }
        return true;
    }
}
