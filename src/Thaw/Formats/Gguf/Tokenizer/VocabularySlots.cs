using System.Globalization;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The n token slots of a GGUF vocabulary (n = embedding rows). Slots no token claims become "[PAD{i}]" of type
/// UNUSED, as the converter fills them; an id at or above n and a token string used twice are errors, because
/// llama.cpp sizes the vocabulary from the token list and asserts that the strings are unique.
/// </summary>
internal sealed class VocabularySlots
{
    private readonly string?[] _tokens;
    private readonly float[]? _scores;
    private readonly int[] _types;
    private readonly float _unusedScore;

    public VocabularySlots(int count, bool withScores, float unusedScore)
    {
        _tokens = new string?[count];
        _scores = withScores ? new float[count] : null;
        _types = new int[count];
        _unusedScore = unusedScore;
    }

    public int Count => _tokens.Length;

    /// <summary>Sets slot <paramref name="id"/>; <paramref name="source"/> names the file in the out-of-range error.</summary>
    public void Set(int id, string token, float score, GgufTokenType type, string source)
    {
        CheckId(id, token, source);
        _tokens[id] = token;
        if (_scores is not null)
            _scores[id] = score;
        _types[id] = (int)type;
    }

    /// <summary>Refuses a token id the embedding has no row for.</summary>
    public void CheckId(long id, string token, string source)
    {
        if (id >= _tokens.Length)
        {
            TokenizerException.Throw(TokenizerError.VocabularyLargerThanEmbedding, source,
                $"token '{TokenizerJson.Shorten(token)}' has id {id}, but the embedding has only {_tokens.Length} rows (ids 0..{_tokens.Length - 1}); " +
                "the tokenizer is larger than the model: use the tokenizer the model was trained with, or resize the embedding (resize_token_embeddings) before exporting");
        }
    }

    /// <summary>Fills the unclaimed slots and checks that every token string is unique.</summary>
    public (string[] Tokens, float[]? Scores, int[] Types) Finish(string source)
    {
        var tokens = new string[_tokens.Length];
        var firstId = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = _tokens[i];
            if (token is null)
            {
                token = "[PAD" + i.ToString(CultureInfo.InvariantCulture) + "]";
                if (_scores is not null)
                    _scores[i] = _unusedScore;
                _types[i] = (int)GgufTokenType.Unused;
            }
            if (!firstId.TryAdd(token, i))
            {
                TokenizerException.Throw(TokenizerError.DuplicateToken, source,
                    $"token '{TokenizerJson.Shorten(token)}' is both id {firstId[token]} and id {i}; llama.cpp requires every token string to be unique; " +
                    "fix the tokenizer files (an added token probably repeats a vocabulary entry)");
            }
            tokens[i] = token;
        }
        return (tokens, _scores, _types);
    }
}
