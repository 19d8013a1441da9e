using Thaw.Formats.Gguf.Tokenizer;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>Tokenizer files above the size limit are refused before they are read.</summary>
public sealed class TokenizerFileLimitTests
{
    [Fact]
    public void FileAboveTheLimitIsRefusedNamingItsSize()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("tokenizer.json"), new byte[101]);
        var e = Assert.Throws<TokenizerException>(() => TokenizerJson.ReadBounded(folder.File("tokenizer.json"), 100));
        Assert.Equal(TokenizerError.FileTooLarge, e.Reason);
        Assert.Contains("101 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileAtTheLimitIsRead()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("tokenizer.json"), new byte[100]);
        Assert.Equal(100, TokenizerJson.ReadBounded(folder.File("tokenizer.json"), 100).Length);
    }
}
