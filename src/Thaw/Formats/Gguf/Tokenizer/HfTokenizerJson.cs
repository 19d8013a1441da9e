using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>A token of tokenizer.json's added_tokens.</summary>
internal readonly record struct AddedToken(int Id, string Content, bool Special);

/// <summary>The parts of a Hugging Face tokenizer.json the GGUF metadata is made from.</summary>
internal sealed class HfTokenizerJson
{
    private readonly JsonElement _model;

    private HfTokenizerJson(string path, JsonElement root, JsonElement model, IReadOnlyList<AddedToken> addedTokens)
    {
        Path = path;
        Root = root;
        _model = model;
        AddedTokens = addedTokens;
    }

    public string Path { get; }

    public JsonElement Root { get; }

    /// <summary>model.type: "BPE", "Unigram", "WordPiece", ...</summary>
    public string? ModelType => TokenizerJson.GetString(_model, "type");

    public bool ByteFallback => TokenizerJson.Get(_model, "byte_fallback")?.ValueKind == JsonValueKind.True;

    /// <summary>decoder.type, null when there is no decoder.</summary>
    public string? DecoderType => TokenizerJson.Get(Root, "decoder") is { } decoder ? TokenizerJson.GetString(decoder, "type") : null;

    /// <summary>The pre_tokenizer object, null when there is none.</summary>
    public JsonElement? PreTokenizer => TokenizerJson.Get(Root, "pre_tokenizer");

    /// <summary>The post_processor object, null when there is none.</summary>
    public JsonElement? PostProcessor => TokenizerJson.Get(Root, "post_processor");

    /// <summary>model.merges as written (strings or pairs), null when absent.</summary>
    public JsonElement? Merges => TokenizerJson.Get(_model, "merges");

    /// <summary>added_tokens in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    public static HfTokenizerJson From(JsonDocument document, string path)
    {
        var root = document.RootElement;
        if (TokenizerJson.Get(root, "model") is not { ValueKind: JsonValueKind.Object } model)
            throw TokenizerJson.Bad(path, "model", TokenizerJson.Get(root, "model"), "an object describing the tokenizer model");
        return new HfTokenizerJson(path, root, model, ReadAddedTokens(root, path));
    }

    /// <summary>model.vocab as (token, id) pairs in file order.</summary>
    public List<(string Token, int Id)> ReadVocab()
    {
        if (TokenizerJson.Get(_model, "vocab") is not { ValueKind: JsonValueKind.Object } vocab)
            throw TokenizerJson.Bad(Path, "model.vocab", TokenizerJson.Get(_model, "vocab"), "an object mapping token strings to ids");
        var entries = new List<(string, int)>();
        foreach (var property in vocab.EnumerateObject())
            entries.Add((property.Name, TokenizerJson.TokenId(property.Value, Path, $"vocab token '{TokenizerJson.Shorten(property.Name)}'")));
        return entries;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var tokens = new List<AddedToken>();
        if (TokenizerJson.Get(root, "added_tokens") is not { } added)
            return tokens;
        if (added.ValueKind != JsonValueKind.Array)
            throw TokenizerJson.Bad(path, "added_tokens", added, "an array of tokens");
        foreach (var entry in added.EnumerateArray())
        {
            if (TokenizerJson.GetString(entry, "content") is not { } content || TokenizerJson.Get(entry, "id") is not { } id)
                throw TokenizerJson.Bad(path, "added_tokens", entry, "objects with a string 'content' and an integer 'id'");
            var special = TokenizerJson.Get(entry, "special")?.ValueKind == JsonValueKind.True;
            tokens.Add(new AddedToken(TokenizerJson.TokenId(id, path, $"added token '{TokenizerJson.Shorten(content)}'"), content, special));
        }
        return tokens;
    }
}
