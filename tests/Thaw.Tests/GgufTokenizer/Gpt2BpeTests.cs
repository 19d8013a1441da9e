using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using static Thaw.Tests.GgufTokenizer.TokenizerJsonBuilder;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>The byte-level BPE ("gpt2") path on hand-built tokenizer.json files.</summary>
public sealed class Gpt2BpeTests
{
    private static readonly string[] BaseVocab = ["a", "b", "c", "Ġ", "ab", "Ġa", "Ġab"];

    private static JsonObject Llama3Pre => Sequence(Split(Llama3Regex), ByteLevel(useRegex: false));

    private static TokenizerFolder Folder(JsonArray merges, JsonNode? pre, params JsonObject[] added)
    {
        var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", ByteLevelBpe(Vocab(BaseVocab), merges, pre, added));
        return folder;
    }

    [Fact]
    public void OldFormatMergesAreKeptAsWritten()
    {
        using var folder = Folder(["a b", "Ġ a", "Ġa b"], Llama3Pre);
        var metadata = folder.Convert(7);
        Assert.Equal("gpt2", metadata.Model);
        Assert.Equal(["a b", "Ġ a", "Ġa b"], metadata.Merges);
    }

    [Fact]
    public void PairMergesAreJoinedWithSpacesInsidePartsWrittenAsG()
    {
        // transformers ≥ 4.45 writes pairs; a ' ' inside a part must become 'Ġ' (U+0120), llama.cpp #9692.
        using var folder = Folder([new JsonArray("a", "b"), new JsonArray("Ġ", "a"), new JsonArray("x y", " z")], Llama3Pre);
        Assert.Equal(["a b", "Ġ a", "xĠy Ġz"], folder.Convert(7).Merges);
    }

    [Fact]
    public void MergesTxtIsTheFallbackWithItsVersionLineSkipped()
    {
        using var folder = Folder([], Llama3Pre);
        folder.Text("merges.txt", "#version: 0.2\r\na b\r\nĠ a\n\nmalformed line here\nĠa b\n");
        Assert.Equal(["a b", "Ġ a", "Ġa b"], folder.Convert(7).Merges);
    }

    [Fact]
    public void TokensAreTheStoredVocabKeysPaddedToTheEmbeddingWithoutScores()
    {
        using var folder = Folder(["a b"], Llama3Pre);
        var metadata = folder.Convert(10);
        Assert.Equal([.. BaseVocab, "[PAD7]", "[PAD8]", "[PAD9]"], metadata.Tokens);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 5, 5, 5], metadata.TokenTypes);
        Assert.Null(metadata.Scores);
        Assert.Equal(
            [GgufTokenizerKeys.Model, GgufTokenizerKeys.Pre, GgufTokenizerKeys.Tokens, GgufTokenizerKeys.TokenType, GgufTokenizerKeys.Merges],
            metadata.KeyOrder);
    }

    [Fact]
    public void AddedTokensAreControlWhenSpecialOrLookingSpecialElseUserDefinedWithRealSpaces()
    {
        using var folder = Folder(["a b"], Llama3Pre,
            Added(7, "<|begin_of_text|>", special: true),
            Added(8, "<|im_start|>", special: false),
            Added(9, "<unused0>", special: false),
            Added(10, "▁custom▁word", special: false),
            Added(11, "[SPECIAL]", special: true));
        var metadata = folder.Convert(12);
        Assert.Equal(["<|begin_of_text|>", "<|im_start|>", "<unused0>", " custom word", "[SPECIAL]"], metadata.Tokens.Skip(7));
        Assert.Equal([3, 3, 3, 4, 3], metadata.TokenTypes.Skip(7));
    }

    [Theory]
    [InlineData("llama-bpe")]
    [InlineData("qwen2")]
    [InlineData("tekken")]
    [InlineData("gpt-2")]
    [InlineData("smollm")]
    public void PreTokenizerIsNamedFromItsDefinition(string expected)
    {
        JsonNode pre = expected switch
        {
            "llama-bpe" => Sequence(Split(Llama3Regex), ByteLevel(useRegex: false)),
            "qwen2" => Sequence(Split(Qwen2Regex), ByteLevel(useRegex: false)),
            "tekken" => Sequence(Split(TekkenRegex), ByteLevel(useRegex: false)),
            "gpt-2" => ByteLevel(useRegex: true),
            _ => Sequence(Digits(), ByteLevel(useRegex: true)),
        };
        using var folder = Folder(["a b"], pre);
        Assert.Equal(expected, folder.Convert(7).Pre);
    }

    [Fact]
    public void PlainByteLevelWithoutUseRegexKeyIsGpt2()
    {
        // use_regex defaults to true in the tokenizers library.
        using var folder = Folder(["a b"], new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true });
        Assert.Equal("gpt-2", folder.Convert(7).Pre);
    }

    [Fact]
    public void UnknownSplitRegexIsRefusedNamingIt()
    {
        using var folder = Folder(["a b"], Sequence(Split(@"\p{N}{1,3}|\s+"), ByteLevel(useRegex: false)));
        var e = folder.Rejects(TokenizerError.UnknownPreTokenizer, 7);
        Assert.Contains(@"Split(\p{N}{1,3}|\s+, Isolated)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Split", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("tokenizer.json", e.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownRegexWithAnotherByteLevelSettingIsRefused()
    {
        // With use_regex=true the GPT-2 regex would split again after the Split: not the llama-bpe pre-tokenizer.
        using var folder = Folder(["a b"], Sequence(Split(Llama3Regex), ByteLevel(useRegex: true)));
        folder.Rejects(TokenizerError.UnknownPreTokenizer, 7);
    }

    [Fact]
    public void MissingPreTokenizerIsRefused()
    {
        using var folder = Folder(["a b"], null);
        var e = folder.Rejects(TokenizerError.UnknownPreTokenizer, 7);
        Assert.Contains("no pre_tokenizer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GivenPreTokenizerNameIsUsedWhenTheDefinitionIsUnknown()
    {
        using var folder = Folder(["a b"], Sequence(Split(@"\s+"), ByteLevel(useRegex: false)));
        Assert.Equal("deepseek-llm", folder.Convert(7, preTokenizer: "deepseek-llm").Pre);
    }

    [Fact]
    public void NoMergesAnywhereIsRefused()
    {
        using var folder = Folder([], Llama3Pre);
        var e = folder.Rejects(TokenizerError.MissingMerges, 7);
        Assert.Contains("merges.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MixedMergeFormatsAreRefused()
    {
        using var folder = Folder([new JsonArray("a", "b"), "Ġ a"], Llama3Pre);
        folder.Rejects(TokenizerError.InvalidEntry, 7);
    }

    [Fact]
    public void MergeOfThreePartsIsRefused()
    {
        using var folder = Folder([new JsonArray("a", "b", "c")], Llama3Pre);
        folder.Rejects(TokenizerError.InvalidEntry, 7);
    }

    [Fact]
    public void VocabularyLargerThanTheEmbeddingIsRefused()
    {
        using var folder = Folder(["a b"], Llama3Pre);
        var e = folder.Rejects(TokenizerError.VocabularyLargerThanEmbedding, 6);
        Assert.Contains("'Ġab' has id 6", e.Message, StringComparison.Ordinal);
        Assert.Contains("6 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddedTokenPastTheEmbeddingIsRefused()
    {
        using var folder = Folder(["a b"], Llama3Pre, Added(9, "<|eot_id|>", special: true));
        folder.Rejects(TokenizerError.VocabularyLargerThanEmbedding, 9);
    }

    [Fact]
    public void AddedTokenRepeatingAVocabularyEntryIsADuplicate()
    {
        using var folder = Folder(["a b"], Llama3Pre, Added(7, "ab", special: false));
        var e = folder.Rejects(TokenizerError.DuplicateToken, 8);
        Assert.Contains("id 4 and id 7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UserDefinedTokenCollidingAfterSpaceReplacementIsADuplicate()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", ByteLevelBpe(Vocab("a", " x"), ["a a"], Llama3Pre, Added(2, "▁x", special: false)));
        folder.Rejects(TokenizerError.DuplicateToken, 3);
    }

    [Fact]
    public void TwoTokensWithOneIdAreRefused()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", ByteLevelBpe(new JsonObject { ["a"] = 0, ["b"] = 0 }, ["a b"], Llama3Pre));
        folder.Rejects(TokenizerError.InvalidEntry, 2);
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public void NonIntegerVocabIdIsRefused(string id)
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", ByteLevelBpe(new JsonObject { ["a"] = 0, ["b"] = JsonNode.Parse(id) }, ["a b"], Llama3Pre));
        folder.Rejects(TokenizerError.InvalidEntry, 2);
    }

    [Fact]
    public void UnigramTokenizerJsonIsUnsupported()
    {
        using var folder = new TokenizerFolder();
        var json = ByteLevelBpe(Vocab("a"), [], Llama3Pre);
        json["model"]!["type"] = "Unigram";
        folder.Json("tokenizer.json", json);
        var e = folder.Rejects(TokenizerError.UnsupportedTokenizer, 2);
        Assert.Contains("Unigram", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidJsonIsRefused()
    {
        using var folder = new TokenizerFolder();
        folder.Text("tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
        folder.Rejects(TokenizerError.InvalidJson, 2);
    }

    [Fact]
    public void TokenizerJsonWithoutModelIsRefused()
    {
        using var folder = new TokenizerFolder();
        folder.Text("tokenizer.json", "{\"version\": \"1.0\"}");
        folder.Rejects(TokenizerError.InvalidEntry, 2);
    }
}
