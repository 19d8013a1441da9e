using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// Reads the JSON files of a tokenizer (tokenizer.json, tokenizer_config.json, added_tokens.json,
/// chat_template.json) and gives typed access to their values, with errors that name the file and the key.
/// </summary>
internal static class TokenizerJson
{
    /// <summary>The largest JSON file read; real tokenizer.json files stay under 40 MB even for 250k-token vocabularies.</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>Parses <paramref name="path"/>; its root must be a JSON object.</summary>
    public static JsonDocument Load(string path)
    {
        var bytes = ReadBounded(path, MaxFileBytes);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerException(TokenizerError.InvalidJson, path,
                $"not valid JSON ({e.Message}); restore the file from the model's repository", e);
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            TokenizerException.Throw(TokenizerError.InvalidJson, path,
                "the file is not a JSON object; restore the file from the model's repository");
        }
        return document;
    }

    /// <summary>The whole file, refused when it is larger than <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadBounded(string path, long maxBytes) =>
        IO.BoundedFile.TryReadAll(path, maxBytes, out var length) ?? throw new TokenizerException(TokenizerError.FileTooLarge, path,
            $"the file is {length} bytes, more than the {maxBytes} Thaw reads for a tokenizer file; is this really a tokenizer file?");

    /// <summary>The property <paramref name="key"/> when present and not null.</summary>
    public static JsonElement? Get(JsonElement obj, string key) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>The string property <paramref name="key"/>, or null when absent, null or not a string.</summary>
    public static string? GetString(JsonElement obj, string key) =>
        Get(obj, key) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>A special-token entry: a string, or an object with a string "content" (an AddedToken); else null.</summary>
    public static string? TokenContent(JsonElement? entry) => entry switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o => GetString(o, "content"),
        _ => null,
    };

    /// <summary>A token id: a JSON integer in [0, int.MaxValue]; anything else is <see cref="TokenizerError.InvalidEntry"/>.</summary>
    public static int TokenId(JsonElement value, string path, string what)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var id) && id is >= 0 and <= int.MaxValue)
            return (int)id;
        throw new TokenizerException(TokenizerError.InvalidEntry, path,
            $"{what} has id {Shorten(value.GetRawText())}, which is not a non-negative integer; restore the file from the model's repository");
    }

    /// <summary>A JSON value or token for a message, cut to a readable length.</summary>
    public static string Shorten(string text, int maxLength = 80) => text.Length <= maxLength ? text : text[..(maxLength - 3)] + "...";

    /// <summary>The <see cref="TokenizerError.InvalidEntry"/> error for a value of the wrong shape.</summary>
    public static TokenizerException Bad(string path, string key, JsonElement? value, string expected) =>
        new(TokenizerError.InvalidEntry, path,
            $"'{key}' is {(value is { } v ? Shorten(v.GetRawText()) : "missing")}, expected {expected}; restore the file from the model's repository");
}
