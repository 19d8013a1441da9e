namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The GGUF keys of the tokenizer metadata, spelled as llama.cpp reads them (llama-arch.cpp), with the value type
/// its loader requires (a different type is a load error).
/// </summary>
public static class GgufTokenizerKeys
{
    /// <summary>STRING: "llama" (SentencePiece) or "gpt2" (byte-level BPE).</summary>
    public const string Model = "tokenizer.ggml.model";

    /// <summary>STRING: the pre-tokenizer name ("default", "llama-bpe", "qwen2", ...).</summary>
    public const string Pre = "tokenizer.ggml.pre";

    /// <summary>STRING[]: one entry per embedding row.</summary>
    public const string Tokens = "tokenizer.ggml.tokens";

    /// <summary>FLOAT32[]: one score per token (SentencePiece paths only).</summary>
    public const string Scores = "tokenizer.ggml.scores";

    /// <summary>INT32[]: one <see cref="GgufTokenType"/> per token.</summary>
    public const string TokenType = "tokenizer.ggml.token_type";

    /// <summary>STRING[]: BPE merges "left right", ranked by position.</summary>
    public const string Merges = "tokenizer.ggml.merges";

    /// <summary>UINT32.</summary>
    public const string BosId = "tokenizer.ggml.bos_token_id";

    /// <summary>UINT32.</summary>
    public const string EosId = "tokenizer.ggml.eos_token_id";

    /// <summary>UINT32.</summary>
    public const string UnknownId = "tokenizer.ggml.unknown_token_id";

    /// <summary>UINT32. The misspelling is llama.cpp's: it reads "seperator", not "separator".</summary>
    public const string SeparatorId = "tokenizer.ggml.seperator_token_id";

    /// <summary>UINT32.</summary>
    public const string PaddingId = "tokenizer.ggml.padding_token_id";

    /// <summary>UINT32.</summary>
    public const string MaskId = "tokenizer.ggml.mask_token_id";

    /// <summary>UINT32: end of turn, set when a post-processor's trailing token replaced the configured eos.</summary>
    public const string EndOfTurnId = "tokenizer.ggml.eot_token_id";

    /// <summary>BOOL.</summary>
    public const string AddBos = "tokenizer.ggml.add_bos_token";

    /// <summary>BOOL.</summary>
    public const string AddEos = "tokenizer.ggml.add_eos_token";

    /// <summary>BOOL.</summary>
    public const string AddSep = "tokenizer.ggml.add_sep_token";

    /// <summary>BOOL.</summary>
    public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";

    /// <summary>STRING: the default chat template.</summary>
    public const string ChatTemplate = "tokenizer.chat_template";

    /// <summary>STRING[]: the names of the named chat templates.</summary>
    public const string ChatTemplateNames = "tokenizer.chat_templates";

    /// <summary>STRING: the key of the named chat template <paramref name="name"/>.</summary>
    public static string NamedChatTemplate(string name) => $"tokenizer.chat_template.{name}";
}
