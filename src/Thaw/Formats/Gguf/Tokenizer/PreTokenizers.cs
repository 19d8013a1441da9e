using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// Chooses <c>tokenizer.ggml.pre</c> for a byte-level BPE tokenizer from its tokenizer.json pre_tokenizer. The
/// converter hashes the token ids of a test string, which needs a bit-exact Hugging Face tokenizer; the pre-tokenizer
/// definition determines the same thing for the names recognized here: a Split on one of llama.cpp's regexes
/// followed by a regex-free ByteLevel, the plain GPT-2 ByteLevel, or individual Digits before it. Anything else is
/// refused with its description, because a wrong name silently degrades tokenization.
/// </summary>
internal static class PreTokenizers
{
    /// <summary>The Split regexes as tokenizer.json writes them (the originals llama-vocab.cpp quotes), by GGUF name.</summary>
    private static readonly Dictionary<string, string> SplitRegexNames = new(StringComparer.Ordinal)
    {
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "llama-bpe",
        [@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "qwen2",
        [@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"] = "tekken",
    };

    public static string Classify(JsonElement? preTokenizer, string path)
    {
        var steps = Steps(preTokenizer);
        var name = steps switch
        {
            [var split, var byteLevel] when IsByteLevel(byteLevel, useRegex: false) && SplitRegex(split) is { } regex
                => SplitRegexNames.GetValueOrDefault(regex),
            [var byteLevel] when IsByteLevel(byteLevel, useRegex: true) => "gpt-2",
            [var digits, var byteLevel] when IsIndividualDigits(digits) && IsByteLevel(byteLevel, useRegex: true) => "smollm",
            _ => null,
        };
        if (name is null)
        {
            TokenizerException.Throw(TokenizerError.UnknownPreTokenizer, path,
                $"the BPE pre-tokenizer {Describe(preTokenizer)} is not one Thaw can name for llama.cpp " +
                "(it recognizes the Split regexes of llama-bpe, qwen2 and tekken, plain ByteLevel as gpt-2, and Digits+ByteLevel as smollm); " +
                "if you know which llama.cpp pre-tokenizer matches, give its name explicitly");
        }
        return name;
    }

    private static List<JsonElement> Steps(JsonElement? preTokenizer)
    {
        if (preTokenizer is not { ValueKind: JsonValueKind.Object } pre)
            return [];
        if (TokenizerJson.GetString(pre, "type") == "Sequence" && TokenizerJson.Get(pre, "pretokenizers") is { ValueKind: JsonValueKind.Array } list)
            return [.. list.EnumerateArray()];
        return [pre];
    }

    /// <summary>The regex of an isolating, non-inverted Split.</summary>
    private static string? SplitRegex(JsonElement step) =>
        TokenizerJson.GetString(step, "type") == "Split"
        && TokenizerJson.GetString(step, "behavior") == "Isolated"
        && TokenizerJson.Get(step, "invert")?.ValueKind != JsonValueKind.True
        && TokenizerJson.Get(step, "pattern") is { } pattern
            ? TokenizerJson.GetString(pattern, "Regex")
            : null;

    /// <summary>A ByteLevel step without a prefix space; use_regex defaults to true in the tokenizers library.</summary>
    private static bool IsByteLevel(JsonElement step, bool useRegex) =>
        TokenizerJson.GetString(step, "type") == "ByteLevel"
        && TokenizerJson.Get(step, "add_prefix_space")?.ValueKind != JsonValueKind.True
        && (TokenizerJson.Get(step, "use_regex")?.ValueKind != JsonValueKind.False) == useRegex;

    private static bool IsIndividualDigits(JsonElement step) =>
        TokenizerJson.GetString(step, "type") == "Digits" && TokenizerJson.Get(step, "individual_digits")?.ValueKind == JsonValueKind.True;

    private static string Describe(JsonElement? preTokenizer) => Steps(preTokenizer) switch
    {
        [] when preTokenizer is null => "(none: tokenizer.json has no pre_tokenizer)",
        [] => "(an empty Sequence)",
        var steps => TokenizerJson.Shorten(string.Join(" + ", steps.Select(DescribeStep)), 400),
    };

    private static string DescribeStep(JsonElement step) =>
        TokenizerJson.GetString(step, "type") switch
        {
            "Split" => TokenizerJson.Get(step, "pattern") is { } pattern
                ? $"Split({TokenizerJson.GetString(pattern, "Regex") ?? pattern.GetRawText()}, {TokenizerJson.GetString(step, "behavior")})"
                : "Split(no pattern)",
            { } type => type,
            null => step.GetRawText(),
        };
}
