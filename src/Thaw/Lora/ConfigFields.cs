using System.Text.Json;
using System.Text.Json.Nodes;

namespace Thaw.Lora;

/// <summary>Typed, validating access to the fields of adapter_config.json; null when a field is absent or null.</summary>
internal sealed class ConfigFields(string path, JsonObject raw)
{
    public string? String(string key) => Get(key, static (JsonValue v, out string? s) => v.TryGetValue(out s), "a string");

    public bool? Bool(string key) => Get(key, static (JsonValue v, out bool b) => v.TryGetValue(out b), "true or false");

    public double? Number(string key) => raw[key] is null ? null : NumberValue(key, raw[key]!);

    public int? Int(string key) => raw[key] is null ? null : IntValue(key, raw[key]!);

    public double NumberValue(string key, JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)
            ? d
            : throw Bad(key, "a number");

    public int IntValue(string key, JsonNode node)
    {
        var d = NumberValue(key, node);
        return d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Bad(key, "an integer");
    }

    public IReadOnlyList<string>? StringList(string key) => raw[key] switch
    {
        null => null,
        JsonArray a => a.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw Bad(key, "a list of strings")).ToList(),
        _ => throw Bad(key, "a list of strings"),
    };

    public IReadOnlyList<KeyValuePair<string, T>> Pattern<T>(string key, Func<JsonNode, T> value)
    {
        return raw[key] switch
        {
            null => [],
            JsonObject o => o.Select(p => new KeyValuePair<string, T>(p.Key, p.Value is null ? throw Bad(key, "an object of numbers") : value(p.Value))).ToList(),
            _ => throw Bad(key, "an object mapping module patterns to numbers"),
        };
    }

    private delegate bool TryRead<T>(JsonValue value, out T result);

    private T? Get<T>(string key, TryRead<T> read, string expected)
    {
        var node = raw[key];
        if (node is null)
            return default;
        return node is JsonValue v && read(v, out var result) ? result : throw Bad(key, expected);
    }

    private LoraException Bad(string key, string expected) =>
        new(LoraError.BadConfig, path, null, $"adapter_config.json field '{key}' must be {expected}, found {raw[key]?.ToJsonString() ?? "null"}");
}
