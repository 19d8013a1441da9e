using System.Text;
using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using Thaw.Models;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>A temporary model folder with hand-written tokenizer files, converted with <see cref="HfTokenizerConverter"/>.</summary>
internal sealed class TokenizerFolder : IDisposable
{
    private readonly TempFolder _folder = new();

    public TokenizerFolder(string modelType = "llama", JsonObject? config = null)
    {
        Config = config ?? [];
        Config["model_type"] = modelType;
    }

    public string Path => _folder.Path;

    /// <summary>config.json's content (written on <see cref="Convert"/>).</summary>
    public JsonObject Config { get; }

    public string File(string name) => _folder.File(name);

    public TokenizerFolder Text(string name, string text)
    {
        var path = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text, new UTF8Encoding(false));
        return this;
    }

    public TokenizerFolder Json(string name, JsonNode json) => Text(name, json.ToJsonString());

    public TokenizerFolder Bytes(string name, byte[] bytes)
    {
        System.IO.File.WriteAllBytes(File(name), bytes);
        return this;
    }

    public GgufTokenizerMetadata Convert(long embeddingRows, string? preTokenizer = null)
    {
        var configText = Config.ToJsonString();
        System.IO.File.WriteAllText(File("config.json"), configText);
        return HfTokenizerConverter.Convert(Path, ModelConfig.Parse(configText, File("config.json")), embeddingRows, preTokenizer);
    }

    /// <summary>Asserts that converting fails with <paramref name="reason"/> and returns the exception.</summary>
    public TokenizerException Rejects(TokenizerError reason, long embeddingRows, string? preTokenizer = null)
    {
        var e = Assert.Throws<TokenizerException>(() => Convert(embeddingRows, preTokenizer));
        Assert.Equal(reason, e.Reason);
        return e;
    }

    public void Dispose() => _folder.Dispose();
}
