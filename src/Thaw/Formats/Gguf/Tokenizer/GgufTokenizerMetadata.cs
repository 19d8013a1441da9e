namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The tokenizer metadata of a GGUF file, typed and not yet encoded. Each property names its key
/// (<see cref="GgufTokenizerKeys"/>); null means the key is not written. <see cref="KeyOrder"/> lists the keys
/// that are written, in the order llama.cpp's converter writes them.
/// </summary>
public sealed record GgufTokenizerMetadata
{
    /// <summary><c>tokenizer.ggml.model</c>: "llama" (SentencePiece scores) or "gpt2" (byte-level BPE with merges).</summary>
    public required string Model { get; init; }

    /// <summary><c>tokenizer.ggml.pre</c>: "default" for "llama", the pre-tokenizer's name for "gpt2".</summary>
    public string? Pre { get; init; }

    /// <summary><c>tokenizer.ggml.tokens</c>: one unique string per embedding row, unused rows as "[PAD{i}]".</summary>
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary><c>tokenizer.ggml.scores</c>: one per token; null on the "gpt2" path, which writes none.</summary>
    public float[]? Scores { get; init; }

    /// <summary><c>tokenizer.ggml.token_type</c>: one <see cref="GgufTokenType"/> per token, as INT32.</summary>
    public required int[] TokenTypes { get; init; }

    /// <summary><c>tokenizer.ggml.merges</c>: "left right" pairs, rank = position; null on the "llama" paths.</summary>
    public IReadOnlyList<string>? Merges { get; init; }

    /// <summary><c>tokenizer.ggml.bos_token_id</c>.</summary>
    public uint? Bos { get; init; }

    /// <summary><c>tokenizer.ggml.eos_token_id</c>.</summary>
    public uint? Eos { get; init; }

    /// <summary><c>tokenizer.ggml.unknown_token_id</c>.</summary>
    public uint? Unknown { get; init; }

    /// <summary><c>tokenizer.ggml.seperator_token_id</c> (llama.cpp's spelling).</summary>
    public uint? Separator { get; init; }

    /// <summary><c>tokenizer.ggml.padding_token_id</c>.</summary>
    public uint? Padding { get; init; }

    /// <summary><c>tokenizer.ggml.mask_token_id</c>.</summary>
    public uint? Mask { get; init; }

    /// <summary><c>tokenizer.ggml.eot_token_id</c>: the configured eos, when the post-processor's trailing token replaced it.</summary>
    public uint? EndOfTurn { get; init; }

    /// <summary><c>tokenizer.ggml.add_bos_token</c>.</summary>
    public bool? AddBos { get; init; }

    /// <summary><c>tokenizer.ggml.add_eos_token</c>.</summary>
    public bool? AddEos { get; init; }

    /// <summary><c>tokenizer.ggml.add_sep_token</c>.</summary>
    public bool? AddSep { get; init; }

    /// <summary><c>tokenizer.ggml.add_space_prefix</c>: tokenizer_config.json's add_prefix_space (llama family only).</summary>
    public bool? AddSpacePrefix { get; init; }

    /// <summary><c>tokenizer.chat_template</c>: the default chat template.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// <c>tokenizer.chat_template.{name}</c> for each entry, and their names as <c>tokenizer.chat_templates</c>;
    /// names hold only [A-Za-z0-9_].
    /// </summary>
    public IReadOnlyList<NamedChatTemplate> NamedChatTemplates { get; init; } = [];

    /// <summary>The keys to write, in the converter's order (see <see cref="GgufTokenizerKeys"/>).</summary>
    public required IReadOnlyList<string> KeyOrder { get; init; }
}

/// <summary>A chat template stored under <c>tokenizer.chat_template.{Name}</c>.</summary>
public sealed record NamedChatTemplate(string Name, string Template)
{
    /// <summary>The GGUF key of this template.</summary>
    public string Key => GgufTokenizerKeys.NamedChatTemplate(Name);
}
