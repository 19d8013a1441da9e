namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The token slots of a tokenizer.json BPE vocabulary: model.vocab, with added_tokens placed at their ids (an
/// added token replaces the vocabulary entry at its id, as in the tokenizer's get_vocab()).
/// </summary>
internal static class HfBpeVocab
{
    /// <summary>Score of every token on the LlamaHf path (the converter writes a placeholder, not a real score).</summary>
    public const float LlamaHfScore = -1000f;

    /// <summary>
    /// The LlamaHf path (gguf-py <c>LlamaHfVocab</c>): "&lt;0xXX&gt;" tokens are BYTE, special tokens CONTROL, the
    /// other vocabulary entries NORMAL, and added tokens past the vocabulary USER_DEFINED; every score is -1000.
    /// </summary>
    public static (string[] Tokens, float[]? Scores, int[] Types) BuildLlamaHf(HfTokenizerJson tokenizer, IReadOnlySet<string> specials, int n)
    {
        var slots = new VocabularySlots(n, withScores: true, SentencePieceVocab.UnusedScore);
        var (byId, baseCount) = TokensById(tokenizer, slots);
        var addedPastVocabulary = tokenizer.AddedTokens.Where(t => t.Id >= baseCount).Select(t => t.Id).ToHashSet();
        foreach (var (id, token) in byId)
        {
            var type = addedPastVocabulary.Contains(id)
                ? specials.Contains(token) ? GgufTokenType.Control : GgufTokenType.UserDefined
                : TokenText.IsByteToken(token) ? GgufTokenType.Byte
                : specials.Contains(token) ? GgufTokenType.Control
                : GgufTokenType.Normal;
            slots.Set(id, token, LlamaHfScore, type, tokenizer.Path);
        }
        return slots.Finish(tokenizer.Path);
    }

    /// <summary>
    /// The GPT-2 BPE path (convert_hf_to_gguf <c>get_vocab_base</c>): added tokens are CONTROL when special or
    /// when they look special, else USER_DEFINED with '▁' turned into ' '; everything else is NORMAL. No scores.
    /// </summary>
    public static (string[] Tokens, float[]? Scores, int[] Types) BuildGpt2(HfTokenizerJson tokenizer, int n)
    {
        var slots = new VocabularySlots(n, withScores: false, 0f);
        var (byId, _) = TokensById(tokenizer, slots);
        var addedSpecial = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var added in tokenizer.AddedTokens)
            addedSpecial[added.Content] = added.Special;
        foreach (var (id, token) in byId)
        {
            if (!addedSpecial.TryGetValue(token, out var special))
                slots.Set(id, token, 0f, GgufTokenType.Normal, tokenizer.Path);
            else if (special || TokenText.LooksSpecial(token))
                slots.Set(id, token, 0f, GgufTokenType.Control, tokenizer.Path);
            else
                slots.Set(id, TokenText.UserDefined(token), 0f, GgufTokenType.UserDefined, tokenizer.Path);
        }
        return slots.Finish(tokenizer.Path);
    }

    private static (Dictionary<int, string> ById, int BaseCount) TokensById(HfTokenizerJson tokenizer, VocabularySlots slots)
    {
        var vocab = tokenizer.ReadVocab();
        var byId = new Dictionary<int, string>();
        foreach (var (token, id) in vocab)
        {
            slots.CheckId(id, token, tokenizer.Path);
            if (!byId.TryAdd(id, token))
            {
                TokenizerException.Throw(TokenizerError.InvalidEntry, tokenizer.Path,
                    $"model.vocab gives id {id} to both '{TokenizerJson.Shorten(byId[id])}' and '{TokenizerJson.Shorten(token)}'; restore the file from the model's repository");
            }
        }
        foreach (var added in tokenizer.AddedTokens)
        {
            slots.CheckId(added.Id, added.Content, tokenizer.Path);
            byId[added.Id] = added.Content;
        }
        return (byId, vocab.Count);
    }
}
