using System.Text.Json.Nodes;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>Hand-built tokenizer.json documents in the shape the tokenizers library writes.</summary>
internal static class TokenizerJsonBuilder
{
    /// <summary>The Split regexes as Llama 3, Qwen2 and Mistral Nemo tokenizer.json files carry them (spec 4.4).</summary>
    public const string Llama3Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string TekkenRegex = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>A byte-level BPE tokenizer.json (decoder ByteLevel, no byte_fallback).</summary>
    public static JsonObject ByteLevelBpe(JsonObject vocab, JsonArray merges, JsonNode? preTokenizer, params JsonObject[] addedTokens) => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new JsonArray([.. addedTokens]),
        ["normalizer"] = null,
        ["pre_tokenizer"] = preTokenizer,
        ["post_processor"] = null,
        ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
        ["model"] = new JsonObject
        {
            ["type"] = "BPE",
            ["dropout"] = null,
            ["unk_token"] = null,
            ["byte_fallback"] = false,
            ["ignore_merges"] = false,
            ["vocab"] = vocab,
            ["merges"] = merges,
        },
    };

    /// <summary>A Llama 2 style tokenizer.json (byte_fallback BPE with a Sequence decoder).</summary>
    public static JsonObject LlamaHf(JsonObject vocab, params JsonObject[] addedTokens) => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new JsonArray([.. addedTokens]),
        ["pre_tokenizer"] = null,
        ["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = new JsonArray() },
        ["model"] = new JsonObject
        {
            ["type"] = "BPE",
            ["byte_fallback"] = true,
            ["vocab"] = vocab,
            ["merges"] = new JsonArray("▁ a"),
        },
    };

    public static JsonObject Added(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = !special,
        ["special"] = special,
    };

    public static JsonObject Vocab(params string[] tokens)
    {
        var vocab = new JsonObject();
        for (var i = 0; i < tokens.Length; i++)
            vocab[tokens[i]] = i;
        return vocab;
    }

    public static JsonObject Split(string regex) => new()
    {
        ["type"] = "Split",
        ["pattern"] = new JsonObject { ["Regex"] = regex },
        ["behavior"] = "Isolated",
        ["invert"] = false,
    };

    public static JsonObject ByteLevel(bool useRegex) => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = false,
        ["trim_offsets"] = true,
        ["use_regex"] = useRegex,
    };

    public static JsonObject Digits() => new() { ["type"] = "Digits", ["individual_digits"] = true };

    public static JsonObject Sequence(params JsonObject[] steps) => new() { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray([.. steps]) };

    /// <summary>A TemplateProcessing post-processor; "$A"/"$B" are sequences, anything else a special token.</summary>
    public static JsonObject Template(string[] single, string[] pair) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = Pieces(single),
        ["pair"] = Pieces(pair),
        ["special_tokens"] = new JsonObject(),
    };

    private static JsonArray Pieces(string[] pieces) => new([.. pieces.Select(p => p.StartsWith('$')
        ? (JsonNode)new JsonObject { ["Sequence"] = new JsonObject { ["id"] = p[1..], ["type_id"] = 0 } }
        : new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = p, ["type_id"] = 0 } })]);
}
