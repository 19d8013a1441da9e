using System.Globalization;
using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The SentencePiece path (convert_hf_to_gguf <c>_create_vocab_sentencepiece</c>): the pieces of tokenizer.model
/// with their scores and types, then added_tokens.json and tokenizer_config.json's added_tokens_decoder on top.
/// </summary>
internal static class SentencePieceVocab
{
    /// <summary>Score of the slots no piece claims ("[PAD{i}]").</summary>
    public const float UnusedScore = -10000f;

    /// <summary>Score of added tokens.</summary>
    public const float AddedTokenScore = -1000f;

    public static (string[] Tokens, float[]? Scores, int[] Types) Build(TokenizerFiles files, int n)
    {
        var modelPath = files.PathOf(TokenizerFiles.SentencePieceModelName);
        var pieces = SentencePieceModel.Read(modelPath);
        var slots = new VocabularySlots(n, withScores: true, UnusedScore);
        if (pieces.Count > n)
        {
            TokenizerException.Throw(TokenizerError.VocabularyLargerThanEmbedding, modelPath,
                $"the SentencePiece model has {pieces.Count} pieces, but the embedding has only {n} rows; use the tokenizer the model was trained with, or resize the embedding before exporting");
        }
        for (var id = 0; id < pieces.Count; id++)
            slots.Set(id, pieces[id].Piece, pieces[id].Score, TypeOf(pieces[id].Type), modelPath);

        AddAddedTokensJson(files, slots);
        AddAddedTokensDecoder(files, slots);
        return slots.Finish(modelPath);
    }

    /// <summary>An SP USER_DEFINED piece is NORMAL in GGUF; the other types keep their number.</summary>
    private static GgufTokenType TypeOf(SentencePieceType type) => type switch
    {
        SentencePieceType.Unknown => GgufTokenType.Unknown,
        SentencePieceType.Control => GgufTokenType.Control,
        SentencePieceType.Unused => GgufTokenType.Unused,
        SentencePieceType.Byte => GgufTokenType.Byte,
        _ => GgufTokenType.Normal,
    };

    /// <summary>added_tokens.json {text: id}: USER_DEFINED; ids past the embedding are skipped, as the converter does.</summary>
    private static void AddAddedTokensJson(TokenizerFiles files, VocabularySlots slots)
    {
        if (!files.Has(TokenizerFiles.AddedTokensName))
            return;
        var path = files.PathOf(TokenizerFiles.AddedTokensName);
        using var document = TokenizerJson.Load(path);
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            var id = TokenizerJson.TokenId(entry.Value, path, $"added token '{TokenizerJson.Shorten(entry.Name)}'");
            if (id < slots.Count)
                slots.Set(id, entry.Name, AddedTokenScore, GgufTokenType.UserDefined, path);
        }
    }

    /// <summary>
    /// tokenizer_config.json's added_tokens_decoder {"id": {content, special}}: CONTROL when special or when the
    /// text looks special, else USER_DEFINED with '▁' turned into ' '.
    /// </summary>
    private static void AddAddedTokensDecoder(TokenizerFiles files, VocabularySlots slots)
    {
        if (files.Config is null || TokenizerJson.Get(files.Config.RootElement, "added_tokens_decoder") is not { } decoder)
            return;
        var path = files.PathOf(TokenizerFiles.TokenizerConfigName);
        if (decoder.ValueKind != JsonValueKind.Object)
            throw TokenizerJson.Bad(path, "added_tokens_decoder", decoder, "an object mapping ids to tokens");
        foreach (var entry in decoder.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) || id < 0)
                throw TokenizerJson.Bad(path, "added_tokens_decoder", decoder, "an object whose keys are non-negative token ids");
            if (TokenizerJson.GetString(entry.Value, "content") is not { } content)
                throw TokenizerJson.Bad(path, $"added_tokens_decoder.{entry.Name}", entry.Value, "an object with a string 'content'");
            var special = TokenizerJson.Get(entry.Value, "special")?.ValueKind == JsonValueKind.True;
            if (special || TokenText.LooksSpecial(content))
                slots.Set(id, content, AddedTokenScore, GgufTokenType.Control, path);
            else
                slots.Set(id, TokenText.UserDefined(content), AddedTokenScore, GgufTokenType.UserDefined, path);
        }
    }
}
