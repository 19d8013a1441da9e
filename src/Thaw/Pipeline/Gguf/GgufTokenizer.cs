using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Tokenizer;

namespace Thaw.Pipeline.Gguf;

/// <summary>The tokenizer.* key/values of an export, from the model's (or an adapter's) tokenizer files.</summary>
public static class GgufTokenizer
{
    /// <summary>
    /// Converts the tokenizer of the last folder that has one (an adapter's own tokenizer wins over the base's, as in a
    /// merged folder) into key/values in llama.cpp's converter order, with the types its loader requires.
    /// </summary>
    /// <exception cref="TokenizerException">No folder has a tokenizer, or it does not fit the embedding.</exception>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> Keys(GgufTokenizerInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var folder = input.Folders.LastOrDefault(HasTokenizer) ?? input.Folders.FirstOrDefault()
            ?? throw new TokenizerException(TokenizerError.MissingTokenizer, null,
                "the model is a single weight file without a folder, so there is no tokenizer to write; convert the model folder (tokenizer.model or tokenizer.json beside config.json)");
        return ToKeys(HfTokenizerConverter.Convert(folder, input.Config, input.EmbeddingRows));
    }

    /// <summary>The metadata as key/values, in its key order.</summary>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> ToKeys(GgufTokenizerMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var named = metadata.NamedChatTemplates.ToDictionary(t => t.Key, t => t.Template, StringComparer.Ordinal);
        var keys = new List<KeyValuePair<string, GgufValue>>(metadata.KeyOrder.Count);
        foreach (var key in metadata.KeyOrder)
        {
            GgufValue? value = key switch
            {
                GgufTokenizerKeys.Model => GgufValue.FromString(metadata.Model),
                GgufTokenizerKeys.Pre => metadata.Pre is { } pre ? GgufValue.FromString(pre) : null,
                GgufTokenizerKeys.Tokens => GgufValue.FromStrings(metadata.Tokens),
                GgufTokenizerKeys.Scores => metadata.Scores is { } scores ? GgufValue.FromArray(scores.AsSpan()) : null,
                GgufTokenizerKeys.TokenType => GgufValue.FromArray(metadata.TokenTypes.AsSpan()),
                GgufTokenizerKeys.Merges => metadata.Merges is { } merges ? GgufValue.FromStrings(merges) : null,
                GgufTokenizerKeys.BosId => Id(metadata.Bos),
                GgufTokenizerKeys.EosId => Id(metadata.Eos),
                GgufTokenizerKeys.UnknownId => Id(metadata.Unknown),
                GgufTokenizerKeys.SeparatorId => Id(metadata.Separator),
                GgufTokenizerKeys.PaddingId => Id(metadata.Padding),
                GgufTokenizerKeys.MaskId => Id(metadata.Mask),
                GgufTokenizerKeys.EndOfTurnId => Id(metadata.EndOfTurn),
                GgufTokenizerKeys.AddBos => Flag(metadata.AddBos),
                GgufTokenizerKeys.AddEos => Flag(metadata.AddEos),
                GgufTokenizerKeys.AddSep => Flag(metadata.AddSep),
                GgufTokenizerKeys.AddSpacePrefix => Flag(metadata.AddSpacePrefix),
                GgufTokenizerKeys.ChatTemplate => metadata.ChatTemplate is { } template ? GgufValue.FromString(template) : null,
                GgufTokenizerKeys.ChatTemplateNames => GgufValue.FromStrings(metadata.NamedChatTemplates.Select(t => t.Name)),
                _ when named.TryGetValue(key, out var template) => GgufValue.FromString(template),
                _ => throw new ArgumentException($"tokenizer key '{key}' has no value in the metadata", nameof(metadata)),
            };
            if (value is not null)
                keys.Add(new(key, value));
        }
        return keys;
    }

    private static bool HasTokenizer(string folder) =>
        File.Exists(Path.Combine(folder, "tokenizer.json")) || File.Exists(Path.Combine(folder, "tokenizer.model"));

    private static GgufValue? Id(uint? id) => id is { } value ? GgufValue.FromUInt32(value) : null;

    private static GgufValue? Flag(bool? flag) => flag is { } value ? GgufValue.FromBool(value) : null;
}
