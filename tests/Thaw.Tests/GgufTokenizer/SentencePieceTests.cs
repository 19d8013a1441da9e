using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using static Thaw.Tests.GgufTokenizer.SentencePieceProto;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>The SentencePiece (tokenizer.model) path on hand-built ModelProto files.</summary>
public sealed class SentencePieceTests
{
    private static readonly (string, float, int)[] Pieces =
    [
        ("<unk>", 0f, Unknown),
        ("<s>", 0f, Control),
        ("</s>", 0f, Control),
        ("<0x0A>", 0f, ByteType),
        ("▁the", -1.25f, Normal),
        ("▁a", -2.5f, Normal),
        ("<user>", 0f, UserDefined),
        ("<reserved>", 0f, Unused),
    ];

    private static TokenizerFolder Folder(params (string, float, int)[] pieces) =>
        new TokenizerFolder().Bytes("tokenizer.model", Model(pieces.Length == 0 ? Pieces : pieces));

    [Fact]
    public void PiecesKeepTextScoresAndTypesWithUserDefinedAsNormal()
    {
        using var folder = Folder();
        var metadata = folder.Convert(8);
        Assert.Equal(("llama", "default"), (metadata.Model, metadata.Pre));
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x0A>", "▁the", "▁a", "<user>", "<reserved>"], metadata.Tokens);
        Assert.Equal([0f, 0f, 0f, 0f, -1.25f, -2.5f, 0f, 0f], metadata.Scores!);
        Assert.Equal([2, 3, 3, 6, 1, 1, 1, 5], metadata.TokenTypes);
        Assert.Null(metadata.Merges);
        Assert.Equal(
            [GgufTokenizerKeys.Model, GgufTokenizerKeys.Pre, GgufTokenizerKeys.Tokens, GgufTokenizerKeys.Scores, GgufTokenizerKeys.TokenType],
            metadata.KeyOrder);
    }

    [Fact]
    public void SlotsPastThePiecesArePadWithScoreMinus10000()
    {
        using var folder = Folder();
        var metadata = folder.Convert(10);
        Assert.Equal(["[PAD8]", "[PAD9]"], metadata.Tokens.Skip(8));
        Assert.Equal([-10000f, -10000f], metadata.Scores!.Skip(8));
        Assert.Equal([5, 5], metadata.TokenTypes.Skip(8));
    }

    [Fact]
    public void TokenizerModelWinsOverTokenizerJson()
    {
        using var folder = Folder();
        folder.Json("tokenizer.json", TokenizerJsonBuilder.ByteLevelBpe(TokenizerJsonBuilder.Vocab("x"), ["x x"], null));
        Assert.Equal("<unk>", folder.Convert(8).Tokens[0]);
    }

    [Fact]
    public void AddedTokensJsonIsUserDefinedAndIgnoredPastTheEmbedding()
    {
        using var folder = Folder();
        folder.Json("added_tokens.json", new JsonObject { ["<extra>"] = 8, ["<too_far>"] = 12 });
        var metadata = folder.Convert(10);
        Assert.Equal("<extra>", metadata.Tokens[8]);
        Assert.Equal(-1000f, metadata.Scores![8]);
        Assert.Equal((int)GgufTokenType.UserDefined, metadata.TokenTypes[8]);
        Assert.Equal("[PAD9]", metadata.Tokens[9]);
    }

    [Fact]
    public void AddedTokensDecoderSetsControlOrUserDefinedWithRealSpaces()
    {
        using var folder = Folder();
        folder.Json("tokenizer_config.json", new JsonObject
        {
            ["added_tokens_decoder"] = new JsonObject
            {
                ["1"] = new JsonObject { ["content"] = "<s>", ["special"] = true },
                ["8"] = new JsonObject { ["content"] = "<|im_start|>", ["special"] = false },
                ["9"] = new JsonObject { ["content"] = "▁my▁token", ["special"] = false },
                ["10"] = new JsonObject { ["content"] = "<pad>", ["special"] = false },
            },
        });
        var metadata = folder.Convert(11);
        Assert.Equal(["<|im_start|>", " my token", "<pad>"], metadata.Tokens.Skip(8));
        Assert.Equal([3, 4, 3], metadata.TokenTypes.Skip(8));
        Assert.Equal([-1000f, -1000f, -1000f], metadata.Scores!.Skip(8));
        Assert.Equal((-1000f, 3), (metadata.Scores![1], metadata.TokenTypes[1]));
    }

    [Fact]
    public void AddedTokensDecoderPastTheEmbeddingIsRefused()
    {
        using var folder = Folder();
        folder.Json("tokenizer_config.json", new JsonObject
        {
            ["added_tokens_decoder"] = new JsonObject { ["8"] = new JsonObject { ["content"] = "<pad>", ["special"] = true } },
        });
        var e = folder.Rejects(TokenizerError.VocabularyLargerThanEmbedding, 8);
        Assert.EndsWith("tokenizer_config.json", e.FilePath, StringComparison.Ordinal);
    }

    [Fact]
    public void MorePiecesThanEmbeddingRowsIsRefused()
    {
        using var folder = Folder();
        var e = folder.Rejects(TokenizerError.VocabularyLargerThanEmbedding, 7);
        Assert.Contains("8 pieces", e.Message, StringComparison.Ordinal);
        Assert.Contains("7 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecialIdsWithoutTokenizerJsonComeFromConfigJson()
    {
        using var folder = Folder();
        folder.Config["bos_token_id"] = 1;
        folder.Config["eos_token_id"] = 2;
        folder.Json("tokenizer_config.json", new JsonObject { ["bos_token"] = "<s>", ["add_bos_token"] = true, ["add_eos_token"] = false });
        var metadata = folder.Convert(8);
        Assert.Equal((1u, 2u), (metadata.Bos, metadata.Eos));
        Assert.Equal((true, false), (metadata.AddBos, metadata.AddEos));
        Assert.Null(metadata.AddSep);
    }

    [Fact]
    public void DuplicatePieceIsRefused()
    {
        using var folder = Folder(("<unk>", 0f, Unknown), ("a", 0f, Normal), ("a", 0f, Normal));
        var e = folder.Rejects(TokenizerError.DuplicateToken, 3);
        Assert.Contains("id 1 and id 2", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[]> MalformedModels => new()
    {
        { "empty file", [] },
        { "truncated varint", [0x0A, 0x85] },
        { "length past the end", [0x0A, 0x10, 0x0A, 0x01, 0x61] },
        { "pieces field as varint", [0x08, 0x01] },
        { "piece text as varint", [0x0A, 0x02, 0x08, 0x01] },
        { "score as varint", [0x0A, 0x05, 0x0A, 0x01, 0x61, 0x10, 0x01] },
        { "type 7", [0x0A, 0x05, 0x0A, 0x01, 0x61, 0x18, 0x07] },
        { "piece without text", [0x0A, 0x02, 0x18, 0x01] },
        { "invalid UTF-8 piece", [0x0A, 0x04, 0x0A, 0x02, 0xC3, 0x28] },
        { "group wire type", [0x0B, 0x0C] },
        { "field number 0", [0x02, 0x00] },
        { "only a trainer spec", [0x12, 0x02, 0x18, 0x02] },
        { "JSON instead of protobuf", "{\"model\": 1}"u8.ToArray() },
        { "a tiktoken file", "IQ== 0\nIg== 1\n"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(MalformedModels))]
    public void MalformedProtobufIsRefused(string what, byte[] bytes)
    {
        using var folder = new TokenizerFolder().Bytes("tokenizer.model", bytes);
        var e = folder.Rejects(TokenizerError.MalformedProtobuf, 8);
        Assert.EndsWith("tokenizer.model", e.FilePath, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void UnknownFieldsOfEveryWireTypeAreSkipped()
    {
        var bytes = new List<byte>();
        bytes.AddRange([0x21, 1, 2, 3, 4, 5, 6, 7, 8]); // field 4, fixed64
        bytes.AddRange([0x2D, 1, 2, 3, 4]); // field 5, fixed32
        var piece = new List<byte>(Piece("▁x", -3f, Normal));
        piece.AddRange([0xC0, 0x0C, 0x05]); // field 200 (an extension), varint
        Message(bytes, 1, [.. piece]);
        using var folder = new TokenizerFolder().Bytes("tokenizer.model", [.. bytes]);
        var metadata = folder.Convert(1);
        Assert.Equal(["▁x"], metadata.Tokens);
        Assert.Equal([-3f], metadata.Scores!);
    }
}
