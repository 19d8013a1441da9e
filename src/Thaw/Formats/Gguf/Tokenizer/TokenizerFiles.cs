using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>The tokenizer files of one model folder, the JSON ones parsed once.</summary>
internal sealed class TokenizerFiles : IDisposable
{
    public const string SentencePieceModelName = "tokenizer.model";
    public const string TokenizerJsonName = "tokenizer.json";
    public const string TokenizerConfigName = "tokenizer_config.json";
    public const string AddedTokensName = "added_tokens.json";
    public const string MergesName = "merges.txt";
    public const string ChatTemplateJinjaName = "chat_template.jinja";
    public const string ChatTemplateJsonName = "chat_template.json";
    public const string AdditionalChatTemplatesName = "additional_chat_templates";

    private TokenizerFiles(string folder, JsonDocument? tokenizerJson, JsonDocument? tokenizerConfig)
    {
        Folder = folder;
        Tokenizer = tokenizerJson;
        Config = tokenizerConfig;
    }

    public string Folder { get; }

    /// <summary>tokenizer.json, when the folder has one.</summary>
    public JsonDocument? Tokenizer { get; }

    /// <summary>tokenizer_config.json, when the folder has one.</summary>
    public JsonDocument? Config { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public bool Has(string name) => File.Exists(PathOf(name));

    public static TokenizerFiles Open(string folder)
    {
        var tokenizerJson = LoadIfPresent(Path.Combine(folder, TokenizerJsonName));
        try
        {
            return new TokenizerFiles(folder, tokenizerJson, LoadIfPresent(Path.Combine(folder, TokenizerConfigName)));
        }
        catch
        {
            tokenizerJson?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Tokenizer?.Dispose();
        Config?.Dispose();
    }

    private static JsonDocument? LoadIfPresent(string path) => File.Exists(path) ? TokenizerJson.Load(path) : null;
}
