namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>Rules the converter applies to the text of added tokens.</summary>
internal static class TokenText
{
    /// <summary>SentencePiece's word boundary marker.</summary>
    public const string SentencePieceSpace = "\u2581";

    /// <summary>
    /// Tokens that some models add without marking them special although they are control tokens
    /// (command-r, deepseek-coder, gemma): "&lt;|...|&gt;", "&lt;｜...｜&gt;", "&lt;pad&gt;", "&lt;mask&gt;",
    /// "&lt;2mass&gt;", "[@BOS@]" and "&lt;unused...&gt;".
    /// </summary>
    public static bool LooksSpecial(string token) =>
        token is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal))
        || (token.StartsWith("<\uFF5C", StringComparison.Ordinal) && token.EndsWith("\uFF5C>", StringComparison.Ordinal))
        || (token.StartsWith("<unused", StringComparison.Ordinal) && token.EndsWith('>'));

    /// <summary>A user-defined added token with its SentencePiece spaces turned into real spaces (pre-normalized).</summary>
    public static string UserDefined(string token) => token.Replace(SentencePieceSpace, " ", StringComparison.Ordinal);

    /// <summary>True for the byte tokens "&lt;0x00&gt;".."&lt;0xFF&gt;" (either hex case).</summary>
    public static bool IsByteToken(string token) =>
        token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
        && char.IsAsciiHexDigit(token[3]) && char.IsAsciiHexDigit(token[4]);
}
