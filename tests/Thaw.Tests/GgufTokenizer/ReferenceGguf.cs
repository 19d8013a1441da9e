using System.Text;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>
/// A test-only reader of the key/value section of a GGUF v3 file (spec section 1), just enough to take the expected
/// tokenizer metadata out of the files llama.cpp's converter wrote. It checks the header and the value types and
/// stops before the tensor infos.
/// </summary>
internal sealed class ReferenceGguf
{
    public const uint TypeUInt8 = 0, TypeInt8 = 1, TypeUInt16 = 2, TypeInt16 = 3, TypeUInt32 = 4, TypeInt32 = 5,
        TypeFloat32 = 6, TypeBool = 7, TypeString = 8, TypeArray = 9, TypeUInt64 = 10, TypeInt64 = 11, TypeFloat64 = 12;

    private ReferenceGguf(List<string> keys, Dictionary<string, (uint Type, uint ElementType, object Value)> values)
    {
        Keys = keys;
        _values = values;
    }

    private readonly Dictionary<string, (uint Type, uint ElementType, object Value)> _values;

    /// <summary>Every key, in file order.</summary>
    public IReadOnlyList<string> Keys { get; }

    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>The GGUF value type of <paramref name="key"/> (and the element type of an array, else 0).</summary>
    public (uint Type, uint ElementType) TypeOf(string key) => (_values[key].Type, _values[key].ElementType);

    public T Get<T>(string key) => (T)_values[key].Value;

    public static ReferenceGguf Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (reader.ReadUInt32() != 0x46554747)
            throw new InvalidDataException($"{path}: not a GGUF file");
        var version = reader.ReadUInt32();
        if (version != 3)
            throw new InvalidDataException($"{path}: GGUF version {version}, expected 3");
        reader.ReadUInt64(); // tensor count
        var kvCount = reader.ReadUInt64();
        var keys = new List<string>();
        var values = new Dictionary<string, (uint, uint, object)>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(reader);
            var type = reader.ReadUInt32();
            uint elementType = 0;
            object value;
            if (type == TypeArray)
            {
                elementType = reader.ReadUInt32();
                var count = checked((int)reader.ReadUInt64());
                value = ReadArray(reader, elementType, count);
            }
            else
            {
                value = ReadScalar(reader, type);
            }
            if (!values.TryAdd(key, (type, elementType, value)))
                throw new InvalidDataException($"{path}: duplicate key {key}");
            keys.Add(key);
        }
        return new ReferenceGguf(keys, values);
    }

    private static object ReadArray(BinaryReader reader, uint elementType, int count) => elementType switch
    {
        TypeString => Enumerable.Range(0, count).Select(_ => ReadString(reader)).ToArray(),
        TypeFloat32 => Enumerable.Range(0, count).Select(_ => reader.ReadSingle()).ToArray(),
        TypeInt32 => Enumerable.Range(0, count).Select(_ => reader.ReadInt32()).ToArray(),
        TypeUInt32 => Enumerable.Range(0, count).Select(_ => reader.ReadUInt32()).ToArray(),
        _ => Enumerable.Range(0, count).Select(_ => ReadScalar(reader, elementType)).ToArray(),
    };

    private static object ReadScalar(BinaryReader reader, uint type) => type switch
    {
        TypeUInt8 => reader.ReadByte(),
        TypeInt8 => reader.ReadSByte(),
        TypeUInt16 => reader.ReadUInt16(),
        TypeInt16 => reader.ReadInt16(),
        TypeUInt32 => reader.ReadUInt32(),
        TypeInt32 => reader.ReadInt32(),
        TypeFloat32 => reader.ReadSingle(),
        TypeBool => reader.ReadByte() switch
        {
            0 => false,
            1 => true,
            var b => throw new InvalidDataException($"bool byte {b}"),
        },
        TypeString => ReadString(reader),
        TypeUInt64 => reader.ReadUInt64(),
        TypeInt64 => reader.ReadInt64(),
        TypeFloat64 => reader.ReadDouble(),
        _ => throw new InvalidDataException($"value type {type}"),
    };

    private static string ReadString(BinaryReader reader)
    {
        var length = checked((int)reader.ReadUInt64());
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(reader.ReadBytes(length));
    }
}
