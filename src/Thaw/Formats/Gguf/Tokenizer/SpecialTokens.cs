using System.Text.Json;
using System.Text.Json.Nodes;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// Special token ids and add_*_token flags as gguf-py's <c>SpecialVocab</c> finds them. Ids: tokenizer_config.json's
/// {typ}_token text looked up in tokenizer.json's added_tokens, then config.json's integer {typ}_token_id (lists
/// such as Llama 3.1's eos_token_id are ignored); the first id found wins and ids past the vocabulary are skipped.
/// Flags: the post_processor's template, then tokenizer_config.json's booleans, which override it. Both keep the
/// order in which they were first set, which is the order the converter writes their keys in.
/// </summary>
internal sealed class SpecialTokens
{
    private readonly List<string> _types = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"];
    private readonly Dictionary<string, string?> _configTokens = new(StringComparer.Ordinal);
    private readonly int _vocabularySize;
    private readonly string _configPath;

    private SpecialTokens(int vocabularySize, string configPath)
    {
        _vocabularySize = vocabularySize;
        _configPath = configPath;
    }

    /// <summary>Special token ids by type ("bos", "eos", ...), in the order they were found.</summary>
    public List<(string Type, uint Id)> Ids { get; } = [];

    /// <summary>add_{type}_token flags, in the order they were first set.</summary>
    public List<(string Type, bool Value)> AddFlags { get; } = [];

    public static SpecialTokens Find(TokenizerFiles files, HfTokenizerJson? tokenizer, JsonObject config, string configPath, int vocabularySize)
    {
        var found = new SpecialTokens(vocabularySize, configPath);
        var tokenizerConfig = files.Config?.RootElement;
        // The converter tests the parsed dict for truth: an empty tokenizer_config.json counts as none.
        var hasConfig = tokenizerConfig is { } c && c.EnumerateObject().Any();
        if (hasConfig)
        {
            foreach (var type in found._types)
                found._configTokens[type] = TokenizerJson.TokenContent(TokenizerJson.Get(tokenizerConfig!.Value, $"{type}_token"));
        }
        if (tokenizer is not null)
            found.ReadPostProcessor(tokenizer, hasConfig);
        if (hasConfig)
            found.ReadTokenizerConfig(tokenizerConfig!.Value, tokenizer?.AddedTokens ?? []);
        found.ReadConfigJson(config);
        return found;
    }

    public bool? Flag(string type) => AddFlags.FindIndex(f => f.Type == type) is var i and >= 0 ? AddFlags[i].Value : null;

    public uint? Id(string type) => Ids.FindIndex(f => f.Type == type) is var i and >= 0 ? Ids[i].Id : null;

    private string? ConfigToken(string type) => _configTokens.GetValueOrDefault(type);

    private void SetFlag(string type, bool value)
    {
        var index = AddFlags.FindIndex(f => f.Type == type);
        if (index >= 0)
            AddFlags[index] = (type, value);
        else
            AddFlags.Add((type, value));
    }

    private void SetId(string type, long id, string source)
    {
        if (id < 0)
        {
            TokenizerException.Throw(TokenizerError.InvalidSpecialTokenId, source,
                $"the {type} token id is {id}, but token ids cannot be negative; fix {type}_token_id");
        }
        if (id < _vocabularySize && Ids.FindIndex(f => f.Type == type) < 0)
            Ids.Add((type, (uint)id));
    }

    /// <summary>
    /// add_bos/add_eos/add_sep from the post-processor: RobertaProcessing adds all three; a TemplateProcessing
    /// whose single template starts (ends) with a special token adds bos (eos), and a special token between A and
    /// B of the pair template adds sep. A trailing token other than the configured eos becomes eos, and the
    /// configured eos becomes eot.
    /// </summary>
    private void ReadPostProcessor(HfTokenizerJson tokenizer, bool hasConfig)
    {
        var bos = ConfigToken("bos");
        var cls = ConfigToken("cls");
        var eos = ConfigToken("eos");
        var sep = ConfigToken("sep");
        if (string.IsNullOrEmpty(bos) && !string.IsNullOrEmpty(cls) && hasConfig)
            _configTokens["bos"] = bos = cls;
        if (string.IsNullOrEmpty(eos) && !string.IsNullOrEmpty(sep) && hasConfig)
            _configTokens["eos"] = eos = sep;
        if (tokenizer.PostProcessor is not { } postProcessor)
            return;
        var processors = TokenizerJson.Get(postProcessor, "processors") is { ValueKind: JsonValueKind.Array } list
            ? [.. list.EnumerateArray()]
            : new List<JsonElement> { postProcessor };
        foreach (var processor in processors)
        {
            switch (TokenizerJson.GetString(processor, "type"))
            {
                case "RobertaProcessing":
                    SetFlag("bos", true);
                    SetFlag("eos", true);
                    SetFlag("sep", true);
                    if (string.IsNullOrEmpty(cls) && hasConfig)
                        _configTokens["cls"] = cls = FirstOfPair(processor, "cls") ?? bos;
                    if (string.IsNullOrEmpty(sep) && hasConfig)
                        _configTokens["sep"] = sep = FirstOfPair(processor, "sep") ?? eos;
                    break;
                case "TemplateProcessing":
                    ReadTemplate(processor, hasConfig, ref bos, ref eos, cls, sep);
                    break;
            }
        }
    }

    private void ReadTemplate(JsonElement processor, bool hasConfig, ref string? bos, ref string? eos, string? cls, string? sep)
    {
        var single = Pieces(processor, "single");
        var pair = Pieces(processor, "pair");
        string? first = null;
        string? last = null;
        if (single.Count > 1)
        {
            first = SpecialTokenOf(single[0]);
            if (!string.IsNullOrEmpty(first))
            {
                if (!hasConfig)
                    bos = first;
                SetFlag("bos", first == bos || first == cls);
            }
            last = SpecialTokenOf(single[^1]);
            if (!string.IsNullOrEmpty(last))
            {
                if (!hasConfig)
                {
                    eos = last;
                }
                else if (last != eos)
                {
                    if (!_types.Contains("eot"))
                    {
                        _types.Add("eot");
                        _configTokens["eot"] = eos;
                    }
                    _configTokens["eos"] = eos = last;
                }
                SetFlag("eos", last == eos);
            }
        }
        if (pair.Count == 0)
            return;
        var start = !string.IsNullOrEmpty(first) && SpecialTokenOf(pair[0]) == first ? 1 : 0;
        var stop = !string.IsNullOrEmpty(last) && SpecialTokenOf(pair[^1]) == last ? pair.Count - 1 : pair.Count;
        if (stop - start < 1)
            return;
        var inner = pair[start..stop];
        if (SequenceOf(inner[0]) != "A" || SequenceOf(inner[^1]) != "B" || inner.Count <= 2)
            return;
        var middle = inner[1..^1];
        var addSep = false;
        var entry = SpecialTokenOf(middle[0]);
        if (!string.IsNullOrEmpty(entry) && (entry == sep || entry == eos) && string.IsNullOrEmpty(last))
            addSep = true;
        if (middle.Count == 2 && SpecialTokenOf(middle[1]) is { Length: > 0 } second && (second == sep || second == eos))
            addSep = true;
        SetFlag("sep", addSep);
        if (addSep && string.IsNullOrEmpty(sep) && hasConfig)
            _configTokens["sep"] = eos;
    }

    /// <summary>tokenizer_config.json: add_{type}_token booleans, and {type}_token texts resolved through added_tokens.</summary>
    private void ReadTokenizerConfig(JsonElement tokenizerConfig, IReadOnlyList<AddedToken> addedTokens)
    {
        foreach (var type in _types)
        {
            if (TokenizerJson.Get(tokenizerConfig, $"add_{type}_token") is { ValueKind: JsonValueKind.True or JsonValueKind.False } flag)
                SetFlag(type, flag.ValueKind == JsonValueKind.True);
            if (ConfigToken(type) is not { } content)
                continue;
            foreach (var added in addedTokens)
            {
                if (added.Content == content)
                {
                    SetId(type, added.Id, _configPath);
                    break;
                }
            }
        }
    }

    /// <summary>config.json's {type}_token_id (or text_config's), used only when it is an integer.</summary>
    private void ReadConfigJson(JsonObject config)
    {
        var textConfig = config["text_config"] as JsonObject;
        foreach (var type in _types)
        {
            var key = $"{type}_token_id";
            var value = config[key] ?? textConfig?[key];
            if (value is JsonValue number && number.GetValueKind() == JsonValueKind.Number && number.TryGetValue(out long id))
                SetId(type, id, _configPath);
        }
    }

    private static List<JsonElement> Pieces(JsonElement processor, string key) =>
        TokenizerJson.Get(processor, key) is { ValueKind: JsonValueKind.Array } list ? [.. list.EnumerateArray()] : [];

    private static string? SpecialTokenOf(JsonElement piece) =>
        TokenizerJson.Get(piece, "SpecialToken") is { } special ? TokenizerJson.GetString(special, "id") : null;

    private static string? SequenceOf(JsonElement piece) =>
        TokenizerJson.Get(piece, "Sequence") is { } sequence ? TokenizerJson.GetString(sequence, "id") : null;

    private static string? FirstOfPair(JsonElement processor, string key) =>
        TokenizerJson.Get(processor, key) is { ValueKind: JsonValueKind.Array } pair && pair.GetArrayLength() > 0 && pair[0].ValueKind == JsonValueKind.String
            ? pair[0].GetString()
            : null;
}
