namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>The token types of <c>tokenizer.ggml.token_type</c> (llama.h <c>llama_token_type</c>).</summary>
public enum GgufTokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
