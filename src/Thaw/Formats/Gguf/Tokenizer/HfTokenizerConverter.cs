using System.Text.Json;
using Thaw.Models;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// Turns the tokenizer files of a Hugging Face model folder into GGUF tokenizer metadata, choosing the path as
/// llama.cpp's converter does (LlamaModel.set_vocab): tokenizer.model → SentencePiece ("llama"); else a
/// tokenizer.json BPE with byte_fallback and a Sequence decoder → LlamaHf ("llama", scores -1000); else
/// byte-level BPE ("gpt2" with merges and a named pre-tokenizer). Only the llama family (LlamaModel: llama,
/// mistral, mixtral) has the LlamaHf path and writes add_space_prefix; the others (Qwen2Model.set_vocab and alike)
/// go from SentencePiece straight to byte-level BPE.
/// </summary>
/// <remarks>
/// Where Thaw differs from the converter on purpose: every path pads to the embedding rows (the converter's LlamaHf
/// path does not, and llama.cpp then refuses the file); special ids past the vocabulary are skipped on every path
/// (the converter's BPE path writes them); <c>tokenizer.ggml.pre</c> comes from the pre-tokenizer definition, not
/// from a hash of HF token ids; chat template files are read even without tokenizer_config.json; additional chat
/// templates are taken in name order and <c>tokenizer.chat_templates</c> lists names in that order (the converter
/// uses directory and set order); tokenizer_config tokens written as AddedToken objects compare with the
/// post-processor's tokens by their content (the converter compares the object and so writes add_bos false). Not done: CodeLlama's fill-in-the-middle ids (vocab_size 32016), a second
/// trailing-token override (eom).
/// </remarks>
public static class HfTokenizerConverter
{
    /// <summary>Reads the tokenizer of <paramref name="modelFolder"/>.</summary>
    /// <param name="modelFolder">The folder with tokenizer.model and/or tokenizer.json, tokenizer_config.json, ...</param>
    /// <param name="config">The model's config.json (special token ids, model type).</param>
    /// <param name="embeddingRows">
    /// The rows of the token embedding (token_embd): llama.cpp sizes the vocabulary from the token list and requires
    /// the two to agree, so the tokens are padded to this many, and a tokenizer with more is an error.
    /// </param>
    /// <param name="preTokenizer">
    /// The <c>tokenizer.ggml.pre</c> name to write for a byte-level BPE tokenizer in place of the one chosen from its
    /// pre-tokenizer definition (for definitions Thaw does not recognize); null to choose it, or refuse.
    /// </param>
    public static GgufTokenizerMetadata Convert(string modelFolder, ModelConfig config, long embeddingRows, string? preTokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(modelFolder);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingRows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(embeddingRows, int.MaxValue);
        if (preTokenizer is not null)
            ArgumentException.ThrowIfNullOrWhiteSpace(preTokenizer);
        var n = (int)embeddingRows;
        var llamaFamily = IsLlamaFamily(config);

        using var files = TokenizerFiles.Open(modelFolder);
        if (!files.Has(TokenizerFiles.SentencePieceModelName) && files.Tokenizer is null)
        {
            var slowOnly = files.Has("vocab.json") ? " (vocab.json and merges.txt alone, a slow tokenizer, are not read)" : "";
            TokenizerException.Throw(TokenizerError.MissingTokenizer, modelFolder,
                $"no tokenizer: the folder needs tokenizer.model (SentencePiece) or tokenizer.json (a Hugging Face fast tokenizer){slowOnly}, " +
                "usually with tokenizer_config.json; a fine-tune saved without them can use the base model's tokenizer files, copy them into the folder");
        }
        var tokenizer = files.Tokenizer is { } document
            ? HfTokenizerJson.From(document, files.PathOf(TokenizerFiles.TokenizerJsonName))
            : null;

        var addSpacePrefix = llamaFamily ? AddPrefixSpace(files) : null;
        var vocab = ChooseVocabulary(files, tokenizer, llamaFamily, n, preTokenizer);
        var special = SpecialTokens.Find(files, tokenizer, config.Raw, config.Source, n);
        var (chatTemplate, named) = ChatTemplates.Read(files);

        // The converter's write order: add_space_prefix (set_vocab), the vocabulary, then SpecialVocab.add_to_gguf.
        var keys = new List<string>();
        if (addSpacePrefix is not null)
            keys.Add(GgufTokenizerKeys.AddSpacePrefix);
        keys.AddRange([GgufTokenizerKeys.Model, GgufTokenizerKeys.Pre, GgufTokenizerKeys.Tokens]);
        if (vocab.Scores is not null)
            keys.Add(GgufTokenizerKeys.Scores);
        keys.Add(GgufTokenizerKeys.TokenType);
        if (vocab.Merges is not null)
            keys.Add(GgufTokenizerKeys.Merges);
        keys.AddRange(special.Ids.Select(i => IdKey(i.Type)).OfType<string>());
        keys.AddRange(special.AddFlags.Select(f => FlagKey(f.Type)).OfType<string>());
        keys.AddRange(named.Select(t => t.Key));
        if (named.Count > 0)
            keys.Add(GgufTokenizerKeys.ChatTemplateNames);
        if (chatTemplate is not null)
            keys.Add(GgufTokenizerKeys.ChatTemplate);

        return new GgufTokenizerMetadata
        {
            Model = vocab.Model,
            Pre = vocab.Pre,
            Tokens = vocab.Tokens,
            Scores = vocab.Scores,
            TokenTypes = vocab.Types,
            Merges = vocab.Merges,
            Bos = special.Id("bos"),
            Eos = special.Id("eos"),
            Unknown = special.Id("unk"),
            Separator = special.Id("sep"),
            Padding = special.Id("pad"),
            Mask = special.Id("mask"),
            EndOfTurn = special.Id("eot"),
            AddBos = special.Flag("bos"),
            AddEos = special.Flag("eos"),
            AddSep = special.Flag("sep"),
            AddSpacePrefix = addSpacePrefix,
            ChatTemplate = chatTemplate,
            NamedChatTemplates = named,
            KeyOrder = keys,
        };
    }

    private sealed record Vocabulary(string Model, string Pre, string[] Tokens, float[]? Scores, int[] Types, List<string>? Merges);

    /// <summary>The SentencePiece, LlamaHf or byte-level BPE vocabulary, tried in the converter's order.</summary>
    private static Vocabulary ChooseVocabulary(TokenizerFiles files, HfTokenizerJson? tokenizer, bool llamaFamily, int n, string? preTokenizer)
    {
        if (files.Has(TokenizerFiles.SentencePieceModelName))
        {
            var (tokens, scores, types) = SentencePieceVocab.Build(files, n);
            return new Vocabulary("llama", "default", tokens, scores, types, null);
        }
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (llamaFamily && IsLlamaHf(tokenizer))
        {
            var (tokens, scores, types) = HfBpeVocab.BuildLlamaHf(tokenizer, SpecialTexts(files, tokenizer), n);
            return new Vocabulary("llama", "default", tokens, scores, types, null);
        }
        RequireByteLevelBpe(tokenizer);
        var bpe = HfBpeVocab.BuildGpt2(tokenizer, n);
        var pre = preTokenizer ?? PreTokenizers.Classify(tokenizer.PreTokenizer, tokenizer.Path);
        var merges = BpeMerges.Read(files, tokenizer);
        if (merges is not { Count: > 0 })
        {
            TokenizerException.Throw(TokenizerError.MissingMerges, tokenizer.Path,
                "the BPE tokenizer has no merges (model.merges is empty and there is no merges.txt); llama.cpp cannot load a BPE vocabulary without them, " +
                "restore tokenizer.json from the model's repository");
        }
        return new Vocabulary("gpt2", pre, bpe.Tokens, bpe.Scores, bpe.Types, merges);
    }

    /// <summary>Model types converted by LlamaModel (a VLM's language model counts by its text_config).</summary>
    private static bool IsLlamaFamily(ModelConfig config) =>
        config.ModelType is "llama" or "mistral" or "mixtral"
        || config.TextConfig?.ModelType is "llama" or "mistral" or "mixtral";

    /// <summary>gguf-py LlamaHfVocab: BPE with byte_fallback and a Sequence decoder (Llama 2 style tokenizer.json).</summary>
    private static bool IsLlamaHf(HfTokenizerJson tokenizer) =>
        tokenizer.ModelType == "BPE" && tokenizer.ByteFallback && tokenizer.DecoderType == "Sequence";

    private static void RequireByteLevelBpe(HfTokenizerJson tokenizer)
    {
        if (tokenizer.ModelType != "BPE")
        {
            TokenizerException.Throw(TokenizerError.UnsupportedTokenizer, tokenizer.Path,
                $"the tokenizer model is '{tokenizer.ModelType ?? "(none)"}', but llama.cpp's llama and gpt2 vocabularies need BPE " +
                "(or a SentencePiece tokenizer.model); add the model's tokenizer.model if it has one");
        }
    }

    /// <summary>tokenizer_config.json's add_prefix_space, when it is a boolean.</summary>
    private static bool? AddPrefixSpace(TokenizerFiles files)
    {
        if (files.Config is null || TokenizerJson.Get(files.Config.RootElement, "add_prefix_space") is not { } value)
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TokenizerJson.Bad(files.PathOf(TokenizerFiles.TokenizerConfigName), "add_prefix_space", value, "true, false or null"),
        };
    }

    /// <summary>
    /// The texts the tokenizer treats as special: tokenizer_config.json's {type}_token and additional special tokens
    /// (transformers' all_special_tokens), and the added tokens marked special.
    /// </summary>
    private static HashSet<string> SpecialTexts(TokenizerFiles files, HfTokenizerJson tokenizer)
    {
        var texts = tokenizer.AddedTokens.Where(t => t.Special).Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        if (files.Config?.RootElement is not { } config)
            return texts;
        foreach (var type in (string[])["bos", "eos", "unk", "sep", "pad", "cls", "mask"])
        {
            if (TokenizerJson.TokenContent(TokenizerJson.Get(config, $"{type}_token")) is { } text)
                texts.Add(text);
        }
        foreach (var key in (string[])["additional_special_tokens", "extra_special_tokens"])
        {
            if (TokenizerJson.Get(config, key) is { ValueKind: JsonValueKind.Array } list)
            {
                foreach (var entry in list.EnumerateArray())
                {
                    if (TokenizerJson.TokenContent(entry) is { } text)
                        texts.Add(text);
                }
            }
        }
        return texts;
    }

    /// <summary>The key of a special token id; null for types llama.cpp has no key for (cls).</summary>
    private static string? IdKey(string type) => type switch
    {
        "bos" => GgufTokenizerKeys.BosId,
        "eos" => GgufTokenizerKeys.EosId,
        "unk" => GgufTokenizerKeys.UnknownId,
        "sep" => GgufTokenizerKeys.SeparatorId,
        "pad" => GgufTokenizerKeys.PaddingId,
        "mask" => GgufTokenizerKeys.MaskId,
        "eot" => GgufTokenizerKeys.EndOfTurnId,
        _ => null,
    };

    /// <summary>The key of an add_*_token flag; null for the types the converter writes none for.</summary>
    private static string? FlagKey(string type) => type switch
    {
        "bos" => GgufTokenizerKeys.AddBos,
        "eos" => GgufTokenizerKeys.AddEos,
        "sep" => GgufTokenizerKeys.AddSep,
        _ => null,
    };
}
