using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Thaw.Analysis;

/// <summary>
/// llama.cpp's GGUF imatrix (GGUF v2/v3, general.type "imatrix"): per weight W an F32 tensor W.in_sum2 [n_in] (Σ x²)
/// and W.counts [1] (tokens seen); importance = in_sum2 / counts (1 where counts is 0, as llama-quantize reads it).
/// Only what an imatrix needs of the container is read: the header, the key-value pairs (skipped except the three
/// imatrix keys) and the F32 tensors.
/// </summary>
internal static class ImatrixGgufReader
{
    private const string Sum2Suffix = ".in_sum2";
    private const string CountsSuffix = ".counts";
    private const uint DefaultAlignment = 32;

    // GGUF value types.
    private const uint TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5, TypeFloat32 = 6,
        TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11, TypeFloat64 = 12;

    private sealed record TensorEntry(string Name, long[] Shape, uint Type, ulong Offset);

    public static ImportanceMatrix Read(string path, byte[] bytes)
    {
        var reader = new Reader(path, bytes);
        reader.Skip(4);
        var version = reader.UInt32("version");
        if (version is not (2 or 3))
            reader.Fail($"GGUF version {version}; imatrix files are GGUF version 3");
        var tensorCount = reader.UInt64("tensor count");
        var kvCount = reader.UInt64("key-value count");
        string? type = null;
        var datasets = new List<string>();
        var chunks = 0;
        var alignment = DefaultAlignment;
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = reader.String("key");
            var valueType = reader.UInt32("value type");
            switch (key)
            {
                case "general.type" when valueType == TypeString:
                    type = reader.String(key);
                    break;
                case "imatrix.chunk_count" when valueType == TypeUInt32:
                    chunks = checked((int)reader.UInt32(key));
                    break;
                case "general.alignment" when valueType == TypeUInt32:
                    alignment = reader.UInt32(key);
                    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                        reader.Fail($"general.alignment is {alignment}; it must be a power of two");
                    break;
                case "imatrix.datasets" when valueType == TypeArray:
                    var elementType = reader.UInt32(key);
                    var n = reader.UInt64(key);
                    for (ulong k = 0; k < n; k++)
                    {
                        if (elementType == TypeString)
                            datasets.Add(reader.String(key));
                        else
                            reader.SkipValue(elementType, key);
                    }
                    break;
                default:
                    reader.SkipValue(valueType, key);
                    break;
            }
        }
        if (type != "imatrix")
            reader.Fail(type is null
                ? "the GGUF file has no general.type; it is a model, not an imatrix (llama-imatrix writes general.type = \"imatrix\")"
                : $"general.type is '{type}', not 'imatrix'");

        var tensors = new List<TensorEntry>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = reader.String("tensor name");
            var dims = reader.UInt32("dimension count");
            if (dims is 0 or > 4)
                reader.Fail($"tensor '{name}' has {dims} dimensions; GGUF tensors have 1 to 4");
            var shape = new long[dims];
            for (var d = 0; d < dims; d++)
                shape[d] = checked((long)reader.UInt64("dimension"));
            tensors.Add(new TensorEntry(name, shape, reader.UInt32("tensor type"), reader.UInt64("tensor offset")));
        }
        var dataStart = (reader.Position + alignment - 1) / alignment * alignment;

        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var sums in tensors.Where(t => t.Name.EndsWith(Sum2Suffix, StringComparison.Ordinal)).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var weight = sums.Name[..^Sum2Suffix.Length];
            if (!byName.TryGetValue(weight + CountsSuffix, out var counts))
                reader.Fail($"'{sums.Name}' has no '{weight}{CountsSuffix}' tensor (the token counts that turn sums into means)");
            var sumValues = reader.Floats(sums, dataStart);
            var countValues = reader.Floats(counts, dataStart);
            var columns = sums.Shape[0];
            if (countValues.Length * columns != sumValues.Length)
                reader.Fail($"'{sums.Name}' holds {sumValues.Length} sums for {countValues.Length} count(s) of {columns} columns");
            if (countValues.Length != 1)
                reader.Fail($"'{weight}' has statistics for {countValues.Length} experts; Thaw reads imatrix files of dense (non-MoE) models only");
            var importance = new float[sumValues.Length];
            for (var j = 0; j < importance.Length; j++)
                importance[j] = countValues[0] > 0 ? sumValues[j] / countValues[0] : 1f;
            entries[weight] = importance;
        }
        if (entries.Count == 0)
            reader.Fail("the file holds no '<weight>.in_sum2' tensor; it is not an imatrix");
        return new ImportanceMatrix(path, "gguf", entries, datasets, chunks);
    }

    private sealed class Reader(string path, byte[] bytes)
    {
        public long Position { get; private set; }

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        public string String(string what)
        {
            var length = UInt64(what);
            if (length > int.MaxValue)
                Fail($"{what}: a string of {length} bytes");
            return Encoding.UTF8.GetString(Take((int)length, what));
        }

        public void Skip(int count) => Take(count, "header");

        public void SkipValue(uint type, string key)
        {
            switch (type)
            {
                case TypeUInt8 or TypeInt8 or TypeBool: Take(1, key); break;
                case TypeUInt16 or TypeInt16: Take(2, key); break;
                case TypeUInt32 or TypeInt32 or TypeFloat32: Take(4, key); break;
                case TypeUInt64 or TypeInt64 or TypeFloat64: Take(8, key); break;
                case TypeString: String(key); break;
                case TypeArray:
                    var elementType = UInt32(key);
                    var n = UInt64(key);
                    for (ulong i = 0; i < n; i++)
                        SkipValue(elementType, key);
                    break;
                default:
                    Fail($"key '{key}' has value type {type}, which GGUF does not define");
                    break;
            }
        }

        public float[] Floats(TensorEntry tensor, long dataStart)
        {
            if (tensor.Type != 0)
                Fail($"tensor '{tensor.Name}' has ggml type {tensor.Type}; imatrix statistics are F32 (type 0)");
            var count = tensor.Shape.Aggregate(1L, (a, b) => checked(a * b));
            var start = dataStart + (long)tensor.Offset;
            if (start < 0 || count > (bytes.Length - start) / sizeof(float))
                Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{tensor.Name}' ({count} floats at byte {start}) runs past the end of the file ({bytes.Length} bytes)"));
            var values = new float[count];
            for (var i = 0; i < count; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(start + i * sizeof(float))));
            return values;
        }

        private ReadOnlySpan<byte> Take(int count, string what)
        {
            if (count > bytes.Length - Position)
                Fail(string.Create(CultureInfo.InvariantCulture, $"the file ends at byte {bytes.Length} inside {what} at byte {Position}; it is cut short"));
            var span = bytes.AsSpan((int)Position, count);
            Position += count;
            return span;
        }

        [DoesNotReturn]
        public void Fail(string detail) =>
            AnalysisException.Throw(AnalysisError.BadImatrixFile, path, null, $"GGUF imatrix: {detail}");
    }
}
