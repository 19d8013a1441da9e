using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Thaw.Analysis;

/// <summary>
/// llama.cpp's legacy imatrix layout (little-endian): int32 n_entries; per entry int32 name_len, name, int32 ncall,
/// int32 nval, float32 values[nval] (mean x² times ncall); then optionally int32 last_chunk, int32 dataset_len and the
/// dataset name. Importance = values / ncall.
/// </summary>
internal static class ImatrixDatReader
{
    private const int MaxNameLength = 1 << 16;

    public static ImportanceMatrix Read(string path, byte[] bytes)
    {
        var reader = new Reader(path, bytes);
        var count = reader.Int32("entry count");
        if (count <= 0)
            reader.Fail($"entry count is {count}; an imatrix holds at least one weight");
        var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var chunks = 0;
        for (var i = 0; i < count; i++)
        {
            var length = reader.Int32("name length");
            if (length is <= 0 or > MaxNameLength)
                reader.Fail($"entry {i} has a name of {length} bytes; expected 1 to {MaxNameLength}");
            var name = Encoding.UTF8.GetString(reader.Bytes(length, "name"));
            var calls = reader.Int32("ncall");
            var values = reader.Int32("nval");
            if (calls < 0 || values <= 0)
                reader.Fail($"entry '{name}' has ncall {calls} and nval {values}; expected ncall ≥ 0 and nval > 0");
            var importance = new float[values];
            var raw = reader.Bytes(checked(values * sizeof(float)), "values");
            for (var j = 0; j < values; j++)
            {
                var value = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(j * sizeof(float)));
                importance[j] = calls > 0 ? value / calls : value;
            }
            if (!entries.TryAdd(name, importance))
                reader.Fail($"entry '{name}' appears twice");
            chunks = Math.Max(chunks, calls);
        }
        var datasets = new List<string>();
        if (!reader.AtEnd)
        {
            chunks = reader.Int32("last_chunk");
            var length = reader.Int32("dataset name length");
            if (length is < 0 or > MaxNameLength)
                reader.Fail($"the trailer's dataset name has {length} bytes; expected 0 to {MaxNameLength}");
            datasets.Add(Encoding.UTF8.GetString(reader.Bytes(length, "dataset name")));
            if (!reader.AtEnd)
                reader.Fail($"{bytes.Length - reader.Position} bytes follow the trailer; this is not a legacy imatrix file");
        }
        return new ImportanceMatrix(path, "dat", entries, datasets, chunks);
    }

    private sealed class Reader(string path, byte[] bytes)
    {
        public int Position { get; private set; }

        public bool AtEnd => Position == bytes.Length;

        public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(sizeof(int), what));

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            if (count > bytes.Length - Position)
                Fail(string.Create(CultureInfo.InvariantCulture, $"the file ends at byte {bytes.Length} inside the {what} at byte {Position} ({count} bytes needed); it is cut short or not an imatrix"));
            var span = bytes.AsSpan(Position, count);
            Position += count;
            return span;
        }

        [DoesNotReturn]
        public void Fail(string detail) =>
            AnalysisException.Throw(AnalysisError.BadImatrixFile, path, null, $"legacy imatrix (.dat): {detail}");
    }
}
