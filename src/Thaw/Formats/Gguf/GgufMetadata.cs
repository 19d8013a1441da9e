using System.Collections;

namespace Thaw.Formats.Gguf;

/// <summary>
/// The key/values of a GGUF file in file order, with lookup by key. The typed getters require the exact stored
/// type, as llama.cpp's loader does (a u64 where a u32 is expected is an error, not a conversion).
/// </summary>
public sealed class GgufMetadata : IReadOnlyList<KeyValuePair<string, GgufValue>>
{
    private readonly KeyValuePair<string, GgufValue>[] _entries;
    private readonly Dictionary<string, GgufValue> _byKey;

    /// <summary>Builds metadata from key/values in order.</summary>
    /// <exception cref="GgufException">A key is empty or repeated.</exception>
    public GgufMetadata(IEnumerable<KeyValuePair<string, GgufValue>> entries, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        FilePath = filePath;
        _entries = [.. entries];
        _byKey = new Dictionary<string, GgufValue>(_entries.Length, StringComparer.Ordinal);
        foreach (var (key, value) in _entries)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (string.IsNullOrEmpty(key))
                GgufException.Throw(GgufError.EmptyKey, filePath, null, "a metadata key is empty; llama.cpp refuses empty keys");
            if (!_byKey.TryAdd(key, value))
                GgufException.Throw(GgufError.DuplicateKey, filePath, null, $"metadata key '{key}' appears twice; keys must be unique");
        }
    }

    /// <summary>The file the metadata came from, for error messages; null for metadata being written.</summary>
    public string? FilePath { get; }

    public int Count => _entries.Length;

    public KeyValuePair<string, GgufValue> this[int index] => _entries[index];

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GgufValue? value) =>
        _byKey.TryGetValue(key, out value);

    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <exception cref="GgufException">The key is absent (<see cref="GgufError.MissingKey"/>).</exception>
    public GgufValue Get(string key)
    {
        if (!_byKey.TryGetValue(key, out var value))
            GgufException.Throw(GgufError.MissingKey, FilePath, null, $"metadata key '{key}' is missing");
        return value;
    }

    public string GetString(string key) => Typed(key, GgufValueType.String, null).AsString();
    public uint GetUInt32(string key) => Typed(key, GgufValueType.UInt32, null).AsUInt32();
    public int GetInt32(string key) => Typed(key, GgufValueType.Int32, null).AsInt32();
    public ulong GetUInt64(string key) => Typed(key, GgufValueType.UInt64, null).AsUInt64();
    public float GetFloat32(string key) => Typed(key, GgufValueType.Float32, null).AsFloat32();
    public bool GetBool(string key) => Typed(key, GgufValueType.Bool, null).AsBool();
    public IReadOnlyList<string> GetStringArray(string key) => Typed(key, GgufValueType.Array, GgufValueType.String).AsStringArray();
    public ReadOnlySpan<float> GetFloat32Array(string key) => Typed(key, GgufValueType.Array, GgufValueType.Float32).AsFloat32Array();
    public ReadOnlySpan<int> GetInt32Array(string key) => Typed(key, GgufValueType.Array, GgufValueType.Int32).AsInt32Array();
    public ReadOnlySpan<uint> GetUInt32Array(string key) => Typed(key, GgufValueType.Array, GgufValueType.UInt32).AsUInt32Array();

    /// <summary>The string value of <paramref name="key"/>, or null when absent (a wrong type is still an error).</summary>
    public string? GetStringOrNull(string key) => ContainsKey(key) ? GetString(key) : null;

    /// <summary>The UINT32 value of <paramref name="key"/>, or null when absent (a wrong type is still an error).</summary>
    public uint? GetUInt32OrNull(string key) => ContainsKey(key) ? GetUInt32(key) : null;

    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, GgufValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private GgufValue Typed(string key, GgufValueType type, GgufValueType? elementType)
    {
        var value = Get(key);
        if (value.Type != type || value.ElementType != elementType)
        {
            var wanted = elementType is { } e ? $"array[{GgufValueTypes.Name(e)}]" : GgufValueTypes.Name(type);
            GgufException.Throw(GgufError.WrongValueType, FilePath, null,
                $"metadata key '{key}' has type {value.TypeName}, expected {wanted} (llama.cpp requires the exact type)");
        }
        return value;
    }
}
