using Thaw.Formats.Gguf;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>The key/values of a reference GGUF file (read with Thaw's validating reader), typed for assertions.</summary>
internal sealed class ReferenceGguf
{
    public const uint TypeUInt32 = (uint)GgufValueType.UInt32, TypeInt32 = (uint)GgufValueType.Int32, TypeFloat32 = (uint)GgufValueType.Float32,
        TypeBool = (uint)GgufValueType.Bool, TypeString = (uint)GgufValueType.String, TypeArray = (uint)GgufValueType.Array;

    private readonly Dictionary<string, GgufValue> values;

    private ReferenceGguf(GgufMetadata metadata)
    {
        Keys = [.. metadata.Select(kv => kv.Key)];
        values = metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>Every key, in file order.</summary>
    public IReadOnlyList<string> Keys { get; }

    public bool Has(string key) => values.ContainsKey(key);

    /// <summary>The value type and, for arrays, the element type (0 otherwise).</summary>
    public (uint Type, uint ElementType) TypeOf(string key) => ((uint)values[key].Type, (uint)(values[key].ElementType ?? 0));

    public T Get<T>(string key)
    {
        var value = values[key];
        object result = typeof(T) switch
        {
            var t when t == typeof(string) => value.AsString(),
            var t when t == typeof(string[]) => value.AsStringArray().ToArray(),
            var t when t == typeof(float[]) => value.AsFloat32Array().ToArray(),
            var t when t == typeof(int[]) => value.AsInt32Array().ToArray(),
            var t when t == typeof(uint) => value.AsUInt32(),
            var t when t == typeof(bool) => value.AsBool(),
            _ => throw new NotSupportedException($"no accessor for {typeof(T)}"),
        };
        return (T)result;
    }

    public static ReferenceGguf Read(string path)
    {
        using var file = GgufFile.Open(path);
        return new ReferenceGguf(file.Metadata);
    }
}
