using Thaw.Formats.Gguf.Tokenizer;
using Thaw.Models;
using Thaw.Tests.Models;
using static Thaw.Tests.GgufTokenizer.ReferenceGguf;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>
/// A1's tokenizer (a 32000-token Llama 2 style tokenizer.json, byte_fallback BPE, so the LlamaHf path) against the
/// tokenizer.* values llama.cpp's converter wrote into A6-llama-f32.gguf from the same folder.
/// </summary>
public sealed class A6TokenizerMetadataTests
{
    /// <summary>model.embed_tokens.weight of A1 is [32000, 32] (MANIFEST A1; token_embd in A6 is ne [32, 32000]).</summary>
    private const int A1EmbeddingRows = 32000;

    private static readonly Lazy<ReferenceGguf> Reference = new(() => ReferenceGguf.Read(Fixtures.Path("A6-llama-f32.gguf")));

    private static readonly Lazy<GgufTokenizerMetadata> Converted = new(() =>
        HfTokenizerConverter.Convert(ModelFixtures.A1, ModelConfig.Load(Path.Combine(ModelFixtures.A1, "config.json")), A1EmbeddingRows));

    private static ReferenceGguf A6 => Reference.Value;

    private static GgufTokenizerMetadata Thaw => Converted.Value;

    [Fact]
    public void ModelAndPreAreTheConvertersStrings()
    {
        Assert.Equal(A6.Get<string>(GgufTokenizerKeys.Model), Thaw.Model);
        Assert.Equal(A6.Get<string>(GgufTokenizerKeys.Pre), Thaw.Pre);
        Assert.Equal(("llama", "default"), (Thaw.Model, Thaw.Pre));
    }

    [Fact]
    public void EveryTokenStringIsEqual()
    {
        var expected = A6.Get<string[]>(GgufTokenizerKeys.Tokens);
        Assert.Equal(A1EmbeddingRows, expected.Length);
        Assert.Equal(expected, Thaw.Tokens);
    }

    [Fact]
    public void EveryScoreIsBitEqual()
    {
        var expected = A6.Get<float[]>(GgufTokenizerKeys.Scores);
        Assert.NotNull(Thaw.Scores);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), Thaw.Scores!.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void EveryTokenTypeIsEqual()
    {
        var expected = A6.Get<int[]>(GgufTokenizerKeys.TokenType);
        Assert.Equal(expected, Thaw.TokenTypes);
        // 3 CONTROL (<unk> <s> </s>), 256 BYTE (<0x00>..<0xFF>), the rest NORMAL.
        Assert.Equal(3, Thaw.TokenTypes.Count(t => t == (int)GgufTokenType.Control));
        Assert.Equal(256, Thaw.TokenTypes.Count(t => t == (int)GgufTokenType.Byte));
    }

    [Fact]
    public void SpecialIdsAreEqualAndNoOthersAreSet()
    {
        Assert.Equal(A6.Get<uint>(GgufTokenizerKeys.BosId), Thaw.Bos);
        Assert.Equal(A6.Get<uint>(GgufTokenizerKeys.EosId), Thaw.Eos);
        Assert.Equal(A6.Get<uint>(GgufTokenizerKeys.UnknownId), Thaw.Unknown);
        Assert.False(A6.Has(GgufTokenizerKeys.SeparatorId) || A6.Has(GgufTokenizerKeys.PaddingId) || A6.Has(GgufTokenizerKeys.MaskId));
        Assert.Null(Thaw.Separator);
        Assert.Null(Thaw.Padding);
        Assert.Null(Thaw.Mask);
        Assert.Null(Thaw.EndOfTurn);
    }

    [Fact]
    public void AddFlagsAreEqual()
    {
        Assert.Equal(A6.Get<bool>(GgufTokenizerKeys.AddBos), Thaw.AddBos);
        Assert.Equal(A6.Get<bool>(GgufTokenizerKeys.AddEos), Thaw.AddEos);
        // The pair template puts <s> between A and B, which is neither sep nor eos: add_sep_token is written false.
        Assert.Equal(A6.Get<bool>(GgufTokenizerKeys.AddSep), Thaw.AddSep);
        Assert.False(A6.Has(GgufTokenizerKeys.AddSpacePrefix));
        Assert.Null(Thaw.AddSpacePrefix);
    }

    [Fact]
    public void NoMergesAndNoChatTemplateAsInTheReference()
    {
        Assert.False(A6.Has(GgufTokenizerKeys.Merges));
        Assert.False(A6.Has(GgufTokenizerKeys.ChatTemplate));
        Assert.Null(Thaw.Merges);
        Assert.Null(Thaw.ChatTemplate);
        Assert.Empty(Thaw.NamedChatTemplates);
    }

    [Fact]
    public void KeyOrderIsTheReferencesTokenizerKeyOrder()
    {
        var expected = A6.Keys.Where(k => k.StartsWith("tokenizer.", StringComparison.Ordinal)).ToArray();
        Assert.Equal(11, expected.Length);
        Assert.Equal(expected, Thaw.KeyOrder);
    }

    [Fact]
    public void ReferenceValueTypesAreTheOnesTheLoaderRequires()
    {
        Assert.Equal((TypeArray, TypeString), A6.TypeOf(GgufTokenizerKeys.Tokens));
        Assert.Equal((TypeArray, TypeFloat32), A6.TypeOf(GgufTokenizerKeys.Scores));
        Assert.Equal((TypeArray, TypeInt32), A6.TypeOf(GgufTokenizerKeys.TokenType));
        Assert.Equal((TypeUInt32, 0u), A6.TypeOf(GgufTokenizerKeys.BosId));
        Assert.Equal((TypeBool, 0u), A6.TypeOf(GgufTokenizerKeys.AddSep));
        Assert.Equal((TypeString, 0u), A6.TypeOf(GgufTokenizerKeys.Pre));
    }

    [Fact]
    public void LargerEmbeddingIsPaddedWithUnusedSlots()
    {
        var padded = HfTokenizerConverter.Convert(ModelFixtures.A1, ModelConfig.Load(Path.Combine(ModelFixtures.A1, "config.json")), A1EmbeddingRows + 3);
        Assert.Equal(A6.Get<string[]>(GgufTokenizerKeys.Tokens), padded.Tokens.Take(A1EmbeddingRows));
        Assert.Equal(["[PAD32000]", "[PAD32001]", "[PAD32002]"], padded.Tokens.Skip(A1EmbeddingRows));
        Assert.All(padded.TokenTypes.Skip(A1EmbeddingRows), t => Assert.Equal((int)GgufTokenType.Unused, t));
        Assert.All(padded.Scores!.Skip(A1EmbeddingRows), s => Assert.Equal(-10000f, s));
    }

    [Fact]
    public void SmallerEmbeddingIsRefused()
    {
        var e = Assert.Throws<TokenizerException>(() =>
            HfTokenizerConverter.Convert(ModelFixtures.A1, ModelConfig.Load(Path.Combine(ModelFixtures.A1, "config.json")), A1EmbeddingRows - 1));
        Assert.Equal(TokenizerError.VocabularyLargerThanEmbedding, e.Reason);
        Assert.Contains("31999 rows", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("tokenizer.json", e.FilePath, StringComparison.Ordinal);
    }
}
