using System.Text.Json.Nodes;
using Thaw.Formats.Gguf.Tokenizer;
using static Thaw.Tests.GgufTokenizer.TokenizerJsonBuilder;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>Chat template sources and their GGUF keys (spec 4.5, gguf-py add_chat_template).</summary>
public sealed class ChatTemplateTests
{
    private static TokenizerFolder Folder(JsonObject? tokenizerConfig = null)
    {
        var folder = new TokenizerFolder();
        folder.Json("tokenizer.json", ByteLevelBpe(Vocab("a", "b"), ["a b"], ByteLevel(useRegex: true)));
        if (tokenizerConfig is not null)
            folder.Json("tokenizer_config.json", tokenizerConfig);
        return folder;
    }

    [Fact]
    public void TokenizerConfigStringIsTheDefaultTemplate()
    {
        using var folder = Folder(new JsonObject { ["chat_template"] = "{% for m in messages %}{{ m['content'] }}{% endfor %}" });
        var metadata = folder.Convert(2);
        Assert.Equal("{% for m in messages %}{{ m['content'] }}{% endfor %}", metadata.ChatTemplate);
        Assert.Empty(metadata.NamedChatTemplates);
        Assert.Equal(GgufTokenizerKeys.ChatTemplate, metadata.KeyOrder[^1]);
    }

    [Fact]
    public void TokenizerConfigListGivesDefaultAndNamedTemplatesWithSafeNames()
    {
        using var folder = Folder(new JsonObject
        {
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "default", ["template"] = "D" },
                new JsonObject { ["name"] = "tool use", ["template"] = "T" },
                new JsonObject { ["name"] = "rag-é", ["template"] = "R" },
                new JsonObject { ["name"] = "", ["template"] = "ignored" },
                new JsonObject { ["name"] = "no_template" }),
        });
        var metadata = folder.Convert(2);
        Assert.Equal("D", metadata.ChatTemplate);
        Assert.Equal([new NamedChatTemplate("tool_use", "T"), new NamedChatTemplate("rag__", "R")], metadata.NamedChatTemplates);
        Assert.Equal(["tokenizer.chat_template.tool_use", "tokenizer.chat_template.rag__", GgufTokenizerKeys.ChatTemplateNames, GgufTokenizerKeys.ChatTemplate],
            metadata.KeyOrder.Skip(metadata.KeyOrder.Count - 4));
    }

    [Fact]
    public void ListWithoutDefaultWritesNoDefaultTemplate()
    {
        using var folder = Folder(new JsonObject { ["chat_template"] = new JsonArray(new JsonObject { ["name"] = "tool_use", ["template"] = "T" }) });
        var metadata = folder.Convert(2);
        Assert.Null(metadata.ChatTemplate);
        Assert.Single(metadata.NamedChatTemplates);
        Assert.DoesNotContain(GgufTokenizerKeys.ChatTemplate, metadata.KeyOrder);
    }

    [Fact]
    public void JinjaFileWithAdditionalTemplatesAndPythonNewlines()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        folder.Text("chat_template.jinja", "line1\r\nline2\rline3\n");
        folder.Text("additional_chat_templates/tool_use.jinja", "T\r\n");
        folder.Text("additional_chat_templates/rag.jinja", "R");
        var metadata = folder.Convert(2);
        Assert.Equal("line1\nline2\nline3\n", metadata.ChatTemplate);
        Assert.Equal([new NamedChatTemplate("rag", "R"), new NamedChatTemplate("tool_use", "T\n")], metadata.NamedChatTemplates);
    }

    [Fact]
    public void JinjaFileAloneIsTheDefaultTemplate()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        folder.Text("chat_template.jinja", "{{ messages }}");
        Assert.Equal("{{ messages }}", folder.Convert(2).ChatTemplate);
    }

    [Fact]
    public void ChatTemplateJsonIsTheLastSource()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        folder.Json("chat_template.json", new JsonObject { ["chat_template"] = "from json" });
        Assert.Equal("from json", folder.Convert(2).ChatTemplate);
    }

    [Fact]
    public void TokenizerConfigWinsOverTheFiles()
    {
        using var folder = Folder(new JsonObject { ["chat_template"] = "from config" });
        folder.Text("chat_template.jinja", "from jinja");
        folder.Json("chat_template.json", new JsonObject { ["chat_template"] = "from json" });
        Assert.Equal("from config", folder.Convert(2).ChatTemplate);
    }

    [Fact]
    public void JinjaWinsOverChatTemplateJson()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        folder.Text("chat_template.jinja", "from jinja");
        folder.Json("chat_template.json", new JsonObject { ["chat_template"] = "from json" });
        Assert.Equal("from jinja", folder.Convert(2).ChatTemplate);
    }

    [Fact]
    public void NoTemplateAnywhereIsNull()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        var metadata = folder.Convert(2);
        Assert.Null(metadata.ChatTemplate);
        Assert.DoesNotContain(metadata.KeyOrder, k => k.StartsWith("tokenizer.chat_template", StringComparison.Ordinal));
    }

    [Fact]
    public void RepeatedNameIsRefused()
    {
        using var folder = Folder(new JsonObject
        {
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool use", ["template"] = "A" },
                new JsonObject { ["name"] = "tool_use", ["template"] = "B" }),
        });
        var e = folder.Rejects(TokenizerError.InvalidChatTemplate, 2);
        Assert.Contains("tool_use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListEntryOfTheWrongShapeIsRefused()
    {
        using var folder = Folder(new JsonObject { ["chat_template"] = new JsonArray("just a string") });
        folder.Rejects(TokenizerError.InvalidChatTemplate, 2);
    }

    [Fact]
    public void InvalidUtf8JinjaIsRefused()
    {
        using var folder = Folder(new JsonObject { ["bos_token"] = "a" });
        folder.Bytes("chat_template.jinja", [0x7B, 0xC3, 0x28, 0x7D]);
        folder.Rejects(TokenizerError.InvalidChatTemplate, 2);
    }
}
