using System.Collections.Immutable;
using System.Text;

namespace Thaw.Formats.Gguf;

/// <summary>
/// Where everything of a GGUF file goes, fixed before any tensor data exists: the header bytes (key/values and
/// tensor infos, padded to the alignment) and each tensor's offset. Tensors are laid out densely in the given
/// order, each padded to the alignment, as ggml's reader requires; the file also ends padded, as gguf-py writes it.
/// </summary>
public sealed class GgufLayout
{
    private readonly Dictionary<string, int> _indexByName;
    private readonly byte[] _prefix;

    private GgufLayout(GgufMetadata metadata, ImmutableArray<GgufTensorInfo> tensors, int alignment, byte[] prefix, long fileLength)
    {
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        _prefix = prefix;
        FileLength = fileLength;
        _indexByName = new Dictionary<string, int>(tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++)
            _indexByName.Add(tensors[i].Name, i);
    }

    /// <summary>The key/values, in the order they are written.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>The tensors with their offsets (relative to <see cref="DataStart"/>), in file order.</summary>
    public ImmutableArray<GgufTensorInfo> Tensors { get; }

    /// <summary>The data alignment (<c>general.alignment</c> or 32).</summary>
    public int Alignment { get; }

    /// <summary>Where the data section starts: the header length, padded when there are tensors.</summary>
    public long DataStart => _prefix.Length;

    /// <summary>The file's total length.</summary>
    public long FileLength { get; }

    /// <summary>The bytes before the data section: header, key/values, tensor infos and padding.</summary>
    public ReadOnlySpan<byte> Prefix => _prefix;

    /// <summary>The index of a tensor in <see cref="Tensors"/>, or -1.</summary>
    public int IndexOf(string name) => _indexByName.TryGetValue(name, out var i) ? i : -1;

    /// <summary>Lays out a GGUF v3 file.</summary>
    /// <exception cref="GgufException">A key is empty or repeated, a value cannot be read by llama.cpp (nested
    /// arrays, or a key llama.cpp reads with another type than it requires: see <see cref="LlamaKeyTypes"/>),
    /// <c>general.alignment</c> is not a UINT32 power of two, or a tensor name, shape or type is invalid.</exception>
    public static GgufLayout Create(IEnumerable<KeyValuePair<string, GgufValue>> metadata, IEnumerable<GgufTensorSpec> tensors)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        var kv = metadata as GgufMetadata ?? new GgufMetadata(metadata);
        var specs = tensors.ToList();
        var alignment = ReadAlignment(kv);

        var buffer = new GgufBuffer();
        buffer.WriteUInt32(GgufHeader.Magic);
        buffer.WriteUInt32(3);
        buffer.WriteUInt64((ulong)specs.Count);
        buffer.WriteUInt64((ulong)kv.Count);
        foreach (var (key, value) in kv)
        {
            if (value.ElementType == GgufValueType.Array)
            {
                GgufException.Throw(GgufError.UnwritableValue, null, null,
                    $"metadata key '{key}' is an array of arrays; the GGUF spec allows it but llama.cpp's reader refuses it");
            }
            if (LlamaKeyTypes.Check(key, value) is { } refusal)
                GgufException.Throw(GgufError.WrongValueType, null, null, $"metadata key '{key}' {refusal}");
            buffer.WriteString(Encoding.UTF8.GetBytes(key));
            buffer.WriteUInt32((uint)value.Type);
            value.WriteTo(buffer);
        }

        var infos = ImmutableArray.CreateBuilder<GgufTensorInfo>(specs.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var spec in specs)
        {
            ArgumentNullException.ThrowIfNull(spec);
            var bytes = Validate(spec, names);
            buffer.WriteString(Encoding.UTF8.GetBytes(spec.Name));
            buffer.WriteUInt32((uint)spec.Dimensions.Count);
            foreach (var d in spec.Dimensions)
                buffer.WriteUInt64((ulong)d);
            buffer.WriteUInt32((uint)spec.Type);
            buffer.WriteUInt64((ulong)offset);
            infos.Add(new GgufTensorInfo(spec.Name, [.. spec.Dimensions], spec.Type, offset, bytes));
            offset = checked(GgufHeader.Align(offset + bytes, alignment));
        }
        if (specs.Count > 0)
            buffer.WriteZeros((int)(GgufHeader.Align(buffer.Length, alignment) - buffer.Length));
        var prefix = buffer.WrittenSpan.ToArray();
        return new GgufLayout(kv, infos.MoveToImmutable(), alignment, prefix, checked(prefix.Length + offset));
    }

    private static int ReadAlignment(GgufMetadata metadata)
    {
        if (!metadata.TryGetValue(GgufHeader.AlignmentKey, out var value))
            return GgufHeader.DefaultAlignment;
        if (value.Type != GgufValueType.UInt32 || value.AsUInt32() is var a && (a == 0 || !uint.IsPow2(a) || a > 1u << 30))
        {
            GgufException.Throw(GgufError.InvalidAlignment, null, null,
                $"'{GgufHeader.AlignmentKey}' is {value} ({value.TypeName}); llama.cpp requires a uint32 power of two");
        }
        return (int)value.AsUInt32();
    }

    private static long Validate(GgufTensorSpec spec, HashSet<string> names)
    {
        var name = spec.Name;
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes == 0 || nameBytes >= GgufHeader.MaxTensorNameBytes)
        {
            GgufException.Throw(GgufError.TensorNameTooLong, null, name,
                $"the name has {nameBytes} bytes; llama.cpp needs 1 to {GgufHeader.MaxTensorNameBytes - 1}");
        }
        if (!names.Add(name))
            GgufException.Throw(GgufError.DuplicateTensor, null, name, "appears twice; tensor names must be unique");
        if (spec.Dimensions.Count is 0 or > GgufHeader.MaxDimensions)
            GgufException.Throw(GgufError.TooManyDimensions, null, name, $"has {spec.Dimensions.Count} dimensions; GGUF tensors have 1 to {GgufHeader.MaxDimensions}");
        if (!GgmlTypes.IsKnown((long)spec.Type))
            GgufException.Throw(GgufError.UnknownTensorType, null, name, $"type id {(int)spec.Type} is not a ggml type");
        var block = GgmlTypes.BlockSize(spec.Type);
        if (spec.Dimensions[0] % block != 0)
        {
            GgufException.Throw(GgufError.RowNotBlockAligned, null, name,
                $"row length ne[0] = {spec.Dimensions[0]} is not a multiple of the {GgmlTypes.Name(spec.Type)} block size {block}; use a type with a smaller block (f16) for this tensor");
        }
        if (!GgmlTypes.TryByteLength(spec.Type, [.. spec.Dimensions], out var bytes))
            GgufException.Throw(GgufError.InvalidShape, null, name, $"dimensions [{string.Join(", ", spec.Dimensions)}] are negative or overflow a 64-bit size");
        return bytes;
    }
}
