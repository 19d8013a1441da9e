using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using static Thaw.Tests.GgufTokenizer.TokenizerJsonBuilder;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>Which path the converter takes (spec 4.1), the LlamaHf token types, add_space_prefix and missing files.</summary>
public sealed class PathChoiceTests
{
    [Fact]
    public void MissingTokenizerFilesAreRefusedNamingTheFilesNeeded()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer_config.json", new JsonObject { ["bos_token"] = "<s>" });
        var e = folder.Rejects(TokenizerError.MissingTokenizer, 10);
        Assert.Contains("tokenizer.model", e.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", e.Message, StringComparison.Ordinal);
        Assert.Equal(folder.Path, e.FilePath);
    }

    [Fact]
    public void LlamaHfAddedTokensPastTheVocabularyAreControlWhenSpecialElseUserDefined()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", LlamaHf(Vocab("<unk>", "<s>", "</s>", "<0x0a>", "▁a", "a"),
            Added(0, "<unk>", special: true),
            Added(1, "<s>", special: true),
            Added(2, "</s>", special: true),
            Added(6, "<|im_start|>", special: true),
            Added(7, "▁my▁word", special: false),
            Added(8, "<tool>", special: false)));
        folder.Json("tokenizer_config.json", new JsonObject { ["additional_special_tokens"] = new JsonArray("<tool>") });
        var metadata = folder.Convert(10);
        Assert.Equal(("llama", "default"), (metadata.Model, metadata.Pre));
        // No '▁' replacement on this path (LlamaHfVocab yields the added text as it is).
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x0a>", "▁a", "a", "<|im_start|>", "▁my▁word", "<tool>", "[PAD9]"], metadata.Tokens);
        Assert.Equal([3, 3, 3, 6, 1, 1, 3, 4, 3, 5], metadata.TokenTypes);
        Assert.Equal([.. Enumerable.Repeat(-1000f, 9), -10000f], metadata.Scores!);
        Assert.Null(metadata.Merges);
    }

    [Fact]
    public void LlamaHfNeedsASequenceDecoderElseItIsByteLevelBpe()
    {
        using var folder = new TokenizerFolder();
        var json = LlamaHf(Vocab("a", "b"));
        json["decoder"] = new JsonObject { ["type"] = "ByteLevel" };
        json["pre_tokenizer"] = ByteLevel(useRegex: true);
        folder.Json("tokenizer.json", json);
        var metadata = folder.Convert(2);
        Assert.Equal(("gpt2", "gpt-2"), (metadata.Model, metadata.Pre));
    }

    [Theory]
    [InlineData("mistral", "llama")]
    [InlineData("mixtral", "llama")]
    [InlineData("qwen3", "gpt2")]
    public void OnlyTheLlamaFamilyHasTheLlamaHfPath(string modelType, string expectedModel)
    {
        using var folder = new TokenizerFolder(modelType);
        var json = LlamaHf(Vocab("a", "b"));
        json["pre_tokenizer"] = Sequence(Split(Qwen2Regex), ByteLevel(useRegex: false));
        folder.Json("tokenizer.json", json);
        Assert.Equal(expectedModel, folder.Convert(2).Model);
    }

    [Fact]
    public void QwenHasNoLlamaHfPath()
    {
        using var folder = new TokenizerFolder("qwen2");
        var json = LlamaHf(Vocab("a", "b"));
        json["pre_tokenizer"] = Sequence(Split(Qwen2Regex), ByteLevel(useRegex: false));
        folder.Json("tokenizer.json", json);
        var metadata = folder.Convert(2);
        Assert.Equal(("gpt2", "qwen2"), (metadata.Model, metadata.Pre));
        Assert.Null(metadata.Scores);
    }

    [Fact]
    public void AddPrefixSpaceIsWrittenFirstForLlama()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", LlamaHf(Vocab("a", "b")));
        folder.Json("tokenizer_config.json", new JsonObject { ["add_prefix_space"] = false });
        var metadata = folder.Convert(2);
        Assert.Equal(false, metadata.AddSpacePrefix);
        Assert.Equal(GgufTokenizerKeys.AddSpacePrefix, metadata.KeyOrder[0]);
    }

    [Fact]
    public void AddPrefixSpaceIsNotWrittenForQwen()
    {
        using var folder = new TokenizerFolder("qwen2");
        folder.Json("tokenizer.json", ByteLevelBpe(Vocab("a", "b"), ["a b"], ByteLevel(useRegex: true)));
        folder.Json("tokenizer_config.json", new JsonObject { ["add_prefix_space"] = false });
        Assert.Null(folder.Convert(2).AddSpacePrefix);
    }

    [Fact]
    public void AddPrefixSpaceOfTheWrongTypeIsRefused()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", LlamaHf(Vocab("a", "b")));
        folder.Json("tokenizer_config.json", new JsonObject { ["add_prefix_space"] = "yes" });
        var e = folder.Rejects(TokenizerError.InvalidEntry, 2);
        Assert.Contains("add_prefix_space", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidTokenizerConfigJsonIsRefused()
    {
        using var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", LlamaHf(Vocab("a", "b")));
        folder.Text("tokenizer_config.json", "[1, 2]");
        var e = folder.Rejects(TokenizerError.InvalidJson, 2);
        Assert.EndsWith("tokenizer_config.json", e.FilePath, StringComparison.Ordinal);
    }
}
