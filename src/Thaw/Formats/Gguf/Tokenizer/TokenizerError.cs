namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>Why a model folder's tokenizer could not be turned into GGUF tokenizer metadata.</summary>
public enum TokenizerError
{
    /// <summary>The folder has neither tokenizer.model (SentencePiece) nor tokenizer.json.</summary>
    MissingTokenizer,

    /// <summary>A tokenizer file is larger than any real one, so it is not read.</summary>
    FileTooLarge,

    /// <summary>A tokenizer JSON file (tokenizer.json, tokenizer_config.json, added_tokens.json, chat_template.json) is not valid JSON.</summary>
    InvalidJson,

    /// <summary>A value in a tokenizer file has the wrong type or range (a vocab id, an added token, merges, a token string).</summary>
    InvalidEntry,

    /// <summary>tokenizer.model is not a valid SentencePiece ModelProto.</summary>
    MalformedProtobuf,

    /// <summary>A tokenizer kind llama.cpp cannot represent (e.g. a Unigram or WordPiece tokenizer.json).</summary>
    UnsupportedTokenizer,

    /// <summary>A byte-level BPE pre-tokenizer that matches none of the llama.cpp pre-tokenizers Thaw recognizes.</summary>
    UnknownPreTokenizer,

    /// <summary>A byte-level BPE tokenizer without merges (llama.cpp cannot load it).</summary>
    MissingMerges,

    /// <summary>The tokenizer has more tokens (or a token id higher) than the embedding has rows.</summary>
    VocabularyLargerThanEmbedding,

    /// <summary>Two ids carry the same token string; llama.cpp's loader requires unique tokens.</summary>
    DuplicateToken,

    /// <summary>A special token id in config.json is negative.</summary>
    InvalidSpecialTokenId,

    /// <summary>A chat template list has an entry of the wrong shape or repeats a name.</summary>
    InvalidChatTemplate,
}
