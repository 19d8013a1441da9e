using System.Text.Json;
using System.Text.Json.Nodes;

namespace Thaw.Models;

/// <summary>
/// Typed access to one JSON object of a config file. A key that is absent, and a key that is present with the
/// value null, are told apart because transformers treats them differently (absent = the class default,
/// null = "derive it", e.g. num_key_value_heads = num_attention_heads). A value of the wrong type or range is
/// a <see cref="ModelError.BadConfig"/> naming the file and the key.
/// </summary>
internal readonly struct ConfigReader(JsonObject json, string source, string keyPrefix = "")
{
    public JsonObject Json { get; } = json;

    /// <summary>The first of <paramref name="keys"/> that is present (possibly null), or null when none is.</summary>
    public string? FirstPresent(params ReadOnlySpan<string> keys)
    {
        foreach (var key in keys)
        {
            if (Json.ContainsKey(key))
                return key;
        }
        return null;
    }

    public bool IsPresent(string key) => Json.ContainsKey(key);

    public int? PositiveInt(string key)
    {
        if (Value(key, JsonValueKind.Number, "a positive integer") is not { } element)
            return null;
        if (!element.TryGetInt32(out var value) || value <= 0)
            throw Bad(key, Json[key], "a positive integer");
        return value;
    }

    public double? PositiveNumber(string key)
    {
        if (Value(key, JsonValueKind.Number, "a positive number") is not { } element)
            return null;
        if (!element.TryGetDouble(out var value) || !double.IsFinite(value) || value <= 0)
            throw Bad(key, Json[key], "a positive number");
        return value;
    }

    public double? Number(string key)
    {
        if (Value(key, JsonValueKind.Number, "a number") is not { } element)
            return null;
        if (!element.TryGetDouble(out var value) || !double.IsFinite(value))
            throw Bad(key, Json[key], "a finite number");
        return value;
    }

    public bool? Bool(string key)
    {
        var node = Json[key];
        if (node is null)
            return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(key, node, "true or false"),
        };
    }

    public string? String(string key) =>
        Value(key, JsonValueKind.String, "a string") is { } element ? element.GetString() : null;

    public JsonObject? Object(string key)
    {
        var node = Json[key];
        if (node is null)
            return null;
        return node as JsonObject ?? throw Bad(key, node, "an object");
    }

    /// <summary>A list of strings; null when absent or null.</summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        var node = Json[key];
        if (node is null)
            return null;
        if (node is not JsonArray array)
            throw Bad(key, node, "a list of strings");
        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item is null || item.GetValueKind() != JsonValueKind.String)
                throw Bad(key, node, "a list of strings");
            list.Add(item.GetValue<string>());
        }
        return list;
    }

    public ModelException Bad(string key, JsonNode? value, string expected)
    {
        var shown = value?.ToJsonString() ?? "null";
        if (shown.Length > 80)
            shown = shown[..80] + "...";
        return new ModelException(ModelError.BadConfig, source, null,
            $"config key '{keyPrefix}{key}' is {shown}, expected {expected}; fix or remove the key");
    }

    private JsonElement? Value(string key, JsonValueKind kind, string expected)
    {
        var node = Json[key];
        if (node is null)
            return null;
        if (node is not JsonValue value || value.GetValueKind() != kind)
            throw Bad(key, node, expected);
        return ToElement(value);
    }

    // Parsed documents hold JsonElements; nodes built in code hold CLR values and are read back through JSON text.
    private static JsonElement ToElement(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
            return element;
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.Clone();
    }
}
