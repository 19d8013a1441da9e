using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using static Thaw.Tests.GgufTokenizer.TokenizerJsonBuilder;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>Special token ids and add_*_token flags (spec 4.5, gguf-py SpecialVocab) on a small byte-level BPE.</summary>
public sealed class SpecialTokenTests
{
    private const int Rows = 8;

    /// <summary>Ids 0..3 are vocabulary, 4..7 added tokens.</summary>
    private static TokenizerFolder Folder(JsonObject? tokenizerConfig = null, JsonObject? postProcessor = null, string modelType = "llama")
    {
        var folder = new TokenizerFolder(modelType);
        var json = ByteLevelBpe(Vocab("a", "b", "Ġ", "ab"), ["a b"], ByteLevel(useRegex: true),
            Added(4, "<|begin_of_text|>", special: true),
            Added(5, "<|end_of_text|>", special: true),
            Added(6, "<|eot_id|>", special: true),
            Added(7, "<|pad|>", special: true));
        json["post_processor"] = postProcessor;
        folder.Json("tokenizer.json", json);
        if (tokenizerConfig is not null)
            folder.Json("tokenizer_config.json", tokenizerConfig);
        return folder;
    }

    [Fact]
    public void TokenizerConfigTextsWinOverConfigJsonIds()
    {
        // Llama 3 instruct: eos must be <|eot_id|> (unsloth #468), although config.json says 128001-like ids.
        using var folder = Folder(new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" });
        folder.Config["bos_token_id"] = 0;
        folder.Config["eos_token_id"] = 5;
        var metadata = folder.Convert(Rows);
        Assert.Equal((4u, 6u), (metadata.Bos, metadata.Eos));
    }

    [Fact]
    public void AddedTokenObjectsResolveByContent()
    {
        using var folder = Folder(new JsonObject
        {
            ["pad_token"] = new JsonObject { ["content"] = "<|pad|>", ["special"] = true, ["__type"] = "AddedToken" },
        });
        Assert.Equal(7u, folder.Convert(Rows).Padding);
    }

    [Fact]
    public void NullTokenizerConfigEntryFallsBackToConfigJson()
    {
        // Qwen2: tokenizer_config bos_token null, bos from config.json.
        using var folder = Folder(new JsonObject { ["bos_token"] = null, ["eos_token"] = "<|end_of_text|>" }, modelType: "qwen2");
        folder.Config["bos_token_id"] = 4;
        var metadata = folder.Convert(Rows);
        Assert.Equal((4u, 5u), (metadata.Bos, metadata.Eos));
        // The first id found is written first: eos (tokenizer_config) before bos (config.json).
        Assert.Equal([GgufTokenizerKeys.EosId, GgufTokenizerKeys.BosId], metadata.KeyOrder.Where(k => k.EndsWith("_token_id", StringComparison.Ordinal)));
    }

    [Fact]
    public void TextNotAmongAddedTokensFallsBackToConfigJson()
    {
        using var folder = Folder(new JsonObject { ["eos_token"] = "ab" });
        folder.Config["eos_token_id"] = 6;
        Assert.Equal(6u, folder.Convert(Rows).Eos);
    }

    [Fact]
    public void ListValuedEosTokenIdIsIgnored()
    {
        // Llama 3.1's config.json: "eos_token_id": [128001, 128008, 128009].
        using var folder = Folder();
        folder.Config["eos_token_id"] = new JsonArray(5, 6);
        folder.Config["bos_token_id"] = 4;
        var metadata = folder.Convert(Rows);
        Assert.Null(metadata.Eos);
        Assert.Equal(4u, metadata.Bos);
    }

    [Fact]
    public void FloatAndBooleanIdsAreIgnored()
    {
        using var folder = Folder();
        folder.Config["eos_token_id"] = JsonNode.Parse("5.0");
        folder.Config["bos_token_id"] = true;
        var metadata = folder.Convert(Rows);
        Assert.Null(metadata.Eos);
        Assert.Null(metadata.Bos);
    }

    [Fact]
    public void TextConfigIdsAreUsedWhenTheTopLevelHasNone()
    {
        using var folder = Folder();
        folder.Config["text_config"] = new JsonObject { ["eos_token_id"] = 6, ["pad_token_id"] = 7 };
        folder.Config["pad_token_id"] = 5;
        var metadata = folder.Convert(Rows);
        Assert.Equal((6u, 5u), (metadata.Eos, metadata.Padding));
    }

    [Fact]
    public void IdsPastTheVocabularyAreSkipped()
    {
        using var folder = Folder();
        folder.Config["pad_token_id"] = Rows;
        folder.Config["unk_token_id"] = Rows - 1;
        var metadata = folder.Convert(Rows);
        Assert.Null(metadata.Padding);
        Assert.Equal((uint)Rows - 1, metadata.Unknown);
    }

    [Fact]
    public void NegativeIdIsRefused()
    {
        using var folder = Folder();
        folder.Config["pad_token_id"] = -1;
        var e = folder.Rejects(TokenizerError.InvalidSpecialTokenId, Rows);
        Assert.Contains("-1", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("config.json", e.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void SepMaskAndUnknownAreWrittenButClsIsNot()
    {
        using var folder = Folder(new JsonObject { ["cls_token"] = "<|begin_of_text|>", ["sep_token"] = "<|end_of_text|>", ["mask_token"] = "<|pad|>", ["unk_token"] = "a" });
        folder.Config["unk_token_id"] = 0;
        var metadata = folder.Convert(Rows);
        // bos falls back to cls, eos to sep (gguf-py); cls itself has no GGUF key.
        Assert.Equal((4u, 5u, 5u, 7u, 0u), (metadata.Bos, metadata.Eos, metadata.Separator, metadata.Mask, metadata.Unknown));
        Assert.Equal(
            [GgufTokenizerKeys.BosId, GgufTokenizerKeys.EosId, GgufTokenizerKeys.SeparatorId, GgufTokenizerKeys.MaskId, GgufTokenizerKeys.UnknownId],
            metadata.KeyOrder.Where(k => k.EndsWith("_token_id", StringComparison.Ordinal)));
        Assert.Equal("tokenizer.ggml.seperator_token_id", GgufTokenizerKeys.SeparatorId);
    }

    [Fact]
    public void TemplateWithLeadingAndTrailingTokensAddsBosAndEos()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>" },
            Template(["<|begin_of_text|>", "$A", "<|end_of_text|>"], ["<|begin_of_text|>", "$A", "<|end_of_text|>", "$B", "<|end_of_text|>"]));
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, true), (metadata.AddBos, metadata.AddEos));
        // eos between A and B is not a separator when the single template already ends with it.
        Assert.Equal(false, metadata.AddSep);
    }

    [Fact]
    public void SeparatorBetweenPairSequencesAddsSep()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>" },
            Template(["<|begin_of_text|>", "$A", "<|end_of_text|>"],
                ["<|begin_of_text|>", "$A", "<|end_of_text|>", "<|end_of_text|>", "$B", "<|end_of_text|>"]));
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, true, true), (metadata.AddBos, metadata.AddEos, metadata.AddSep));
        Assert.Equal([GgufTokenizerKeys.AddBos, GgufTokenizerKeys.AddEos, GgufTokenizerKeys.AddSep],
            metadata.KeyOrder.Where(k => k.StartsWith("tokenizer.ggml.add_", StringComparison.Ordinal)));
    }

    [Fact]
    public void TrailingTokenOtherThanEosBecomesEosAndTheOldEosEot()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|eot_id|>" },
            Template(["<|begin_of_text|>", "$A", "<|end_of_text|>"], []));
        var metadata = folder.Convert(Rows);
        Assert.Equal((5u, 6u), (metadata.Eos, metadata.EndOfTurn));
        Assert.Equal(true, metadata.AddEos);
        Assert.Equal([GgufTokenizerKeys.BosId, GgufTokenizerKeys.EosId, GgufTokenizerKeys.EndOfTurnId],
            metadata.KeyOrder.Where(k => k.EndsWith("_token_id", StringComparison.Ordinal)));
    }

    [Fact]
    public void TokenizerConfigFlagsOverrideTheTemplateAndKeepItsOrder()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["add_eos_token"] = true, ["add_bos_token"] = false, ["add_sep_token"] = "yes" },
            Template(["<|begin_of_text|>", "$A"], ["<|begin_of_text|>", "$A", "<|begin_of_text|>", "$B"]));
        var metadata = folder.Convert(Rows);
        Assert.Equal((false, false, true), (metadata.AddBos, metadata.AddSep, metadata.AddEos));
        Assert.Equal([GgufTokenizerKeys.AddBos, GgufTokenizerKeys.AddSep, GgufTokenizerKeys.AddEos],
            metadata.KeyOrder.Where(k => k.StartsWith("tokenizer.ggml.add_", StringComparison.Ordinal)));
    }

    [Fact]
    public void AddedTokenObjectBosMatchesTheTemplateByContent()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<|begin_of_text|>" } },
            Template(["<|begin_of_text|>", "$A"], []));
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, 4u), (metadata.AddBos, metadata.Bos));
    }

    [Fact]
    public void RobertaProcessingAddsAllThree()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>" },
            new JsonObject { ["type"] = "RobertaProcessing", ["sep"] = new JsonArray("<|end_of_text|>", 5), ["cls"] = new JsonArray("<|begin_of_text|>", 4) });
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, true, true), (metadata.AddBos, metadata.AddEos, metadata.AddSep));
        Assert.Equal(5u, metadata.Separator);
    }

    [Fact]
    public void SequencePostProcessorIsReadProcessorByProcessor()
    {
        using var folder = Folder(
            new JsonObject { ["bos_token"] = "<|begin_of_text|>" },
            new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(
                    new JsonObject { ["type"] = "ByteLevel", ["trim_offsets"] = false },
                    Template(["<|begin_of_text|>", "$A"], ["<|begin_of_text|>", "$A", "<|begin_of_text|>", "$B"])),
            });
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, false), (metadata.AddBos, metadata.AddSep));
        Assert.Null(metadata.AddEos);
    }

    [Fact]
    public void WithoutTokenizerConfigTheTemplateTokensAreTheBosAndEos()
    {
        using var folder = Folder(postProcessor: Template(["<|begin_of_text|>", "$A", "<|end_of_text|>"], []));
        folder.Config["bos_token_id"] = 4;
        var metadata = folder.Convert(Rows);
        Assert.Equal((true, true), (metadata.AddBos, metadata.AddEos));
        Assert.Equal(4u, metadata.Bos);
        Assert.Null(metadata.Eos);
    }
}
