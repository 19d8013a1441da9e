using System.Text;
using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The chat templates (gguf-py <c>SpecialVocab</c> and <c>GGUFWriter.add_chat_template</c>): tokenizer_config.json's
/// chat_template (a string, or a list of {name, template}) when the key is there, else chat_template.jinja (with
/// additional_chat_templates/*.jinja as named ones), else chat_template.json's "chat_template". A list entry named
/// "default" is the default template; other names keep only [A-Za-z0-9] and write every other character as '_'.
/// </summary>
internal static class ChatTemplates
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (string? Default, List<NamedChatTemplate> Named) Read(TokenizerFiles files)
    {
        if (files.Config is { } config && config.RootElement.TryGetProperty("chat_template", out var value))
            return FromValue(value, files.PathOf(TokenizerFiles.TokenizerConfigName));
        if (files.Has(TokenizerFiles.ChatTemplateJinjaName))
            return FromJinjaFiles(files);
        if (files.Has(TokenizerFiles.ChatTemplateJsonName))
        {
            var path = files.PathOf(TokenizerFiles.ChatTemplateJsonName);
            using var document = TokenizerJson.Load(path);
            if (document.RootElement.TryGetProperty("chat_template", out var template))
                return FromValue(template, path);
        }
        return (null, []);
    }

    private static (string?, List<NamedChatTemplate>) FromJinjaFiles(TokenizerFiles files)
    {
        var template = ReadTemplateFile(files.PathOf(TokenizerFiles.ChatTemplateJinjaName));
        var folder = files.PathOf(TokenizerFiles.AdditionalChatTemplatesName);
        var named = new List<(string Name, string? Template)>();
        if (Directory.Exists(folder))
        {
            // Sorted so the output does not depend on the file system's listing order.
            foreach (var path in Directory.GetFiles(folder, "*.jinja").Order(StringComparer.Ordinal))
                named.Add((Path.GetFileNameWithoutExtension(path), ReadTemplateFile(path)));
        }
        if (named.Count == 0)
            return (NullIfEmpty(template), []);
        named.Insert(0, ("default", template));
        return FromList(named, folder);
    }

    private static (string?, List<NamedChatTemplate>) FromValue(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return (NullIfEmpty(value.GetString()!), []);
            case JsonValueKind.Array:
                var entries = new List<(string Name, string? Template)>();
                foreach (var entry in value.EnumerateArray())
                {
                    if (entry.ValueKind != JsonValueKind.Object
                        || (TokenizerJson.Get(entry, "name") is { } name && name.ValueKind != JsonValueKind.String)
                        || (TokenizerJson.Get(entry, "template") is { } text && text.ValueKind != JsonValueKind.String))
                    {
                        TokenizerException.Throw(TokenizerError.InvalidChatTemplate, path,
                            $"chat_template entry {TokenizerJson.Shorten(entry.GetRawText())} is not an object with a string 'name' and a string 'template'; fix the chat_template list");
                    }
                    entries.Add((TokenizerJson.GetString(entry, "name") ?? "", TokenizerJson.GetString(entry, "template")));
                }
                return FromList(entries, path);
            default:
                // The converter ignores a chat_template of another type (with a warning).
                return (null, []);
        }
    }

    private static (string?, List<NamedChatTemplate>) FromList(List<(string Name, string? Template)> entries, string path)
    {
        string? defaultTemplate = null;
        var named = new List<NamedChatTemplate>();
        foreach (var (rawName, template) in entries)
        {
            var name = SafeName(rawName);
            if (name.Length == 0 || template is null)
                continue;
            if (name == "default")
            {
                defaultTemplate = template;
                continue;
            }
            if (named.Exists(t => t.Name == name))
            {
                TokenizerException.Throw(TokenizerError.InvalidChatTemplate, path,
                    $"two chat templates are named '{name}' (after replacing characters other than A-Z, a-z, 0-9 with '_'); GGUF keys must be unique, rename one");
            }
            if (template.Length > 0)
                named.Add(new NamedChatTemplate(name, template));
        }
        return (NullIfEmpty(defaultTemplate), named);
    }

    private static string SafeName(string name)
    {
        var safe = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
            safe.Append(rune.IsAscii && char.IsAsciiLetterOrDigit((char)rune.Value) ? (char)rune.Value : '_');
        return safe.ToString();
    }

    /// <summary>A template file as Python's text mode reads it: strict UTF-8, "\r\n" and "\r" read as "\n".</summary>
    private static string ReadTemplateFile(string path)
    {
        var bytes = TokenizerJson.ReadBounded(path, TokenizerJson.MaxFileBytes);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TokenizerException(TokenizerError.InvalidChatTemplate, path, "the chat template is not valid UTF-8; save it as UTF-8", e);
        }
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
    }

    /// <summary>gguf-py writes no empty strings, so an empty template is no template.</summary>
    private static string? NullIfEmpty(string? template) => string.IsNullOrEmpty(template) ? null : template;
}
