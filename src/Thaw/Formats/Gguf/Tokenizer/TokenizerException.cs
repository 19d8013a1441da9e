using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>A model folder's tokenizer files could not be turned into GGUF tokenizer metadata.</summary>
public sealed class TokenizerException : ThawException<TokenizerError>
{
    public TokenizerException(TokenizerError reason, string? filePath, string detail, Exception? inner = null)
        : base(reason, filePath, null, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(TokenizerError reason, string? filePath, string detail, Exception? inner = null) =>
        throw new TokenizerException(reason, filePath, detail, inner);
}
