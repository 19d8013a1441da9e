using Thaw.Pipeline.HfFolder;

namespace Thaw.Tests.Pipeline;

public sealed class CopiedFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TokenizerProcessorGenerationAndChatTemplateFilesAreCopiedAndNothingElse()
    {
        string[] copied =
        [
            "added_tokens.json", "chat_template.jinja", "chat_template.json", "generation_config.json", "merges.txt",
            "preprocessor_config.json", "processor_config.json", "special_tokens_map.json", "spiece.model",
            "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "video_preprocessor_config.json",
            "vocab.json", "vocab.txt",
        ];
        string[] ignored =
        [
            "config.json", "model.safetensors", "model-00001-of-00002.safetensors", "model.safetensors.index.json",
            "pytorch_model.bin", "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_config.json",
            "README.md", "training_args.bin", "optimizer.pt", "trainer_state.json", "model.gguf", ".gitattributes",
        ];
        foreach (var name in copied.Concat(ignored))
            File.WriteAllText(_temp.File(name), name);
        Directory.CreateDirectory(_temp.File("additional_chat_templates"));
        File.WriteAllText(_temp.File("additional_chat_templates/tool_use.jinja"), "{{ x }}");
        File.WriteAllText(_temp.File("additional_chat_templates/notes.txt"), "no");
        Directory.CreateDirectory(_temp.File("original"));
        File.WriteAllText(_temp.File("original/tokenizer.model"), "no");

        var files = CopiedFiles.In(_temp.Path);

        Assert.Equal([.. copied.Append("additional_chat_templates/tool_use.jinja").Order(StringComparer.Ordinal)], files.Select(f => f.Name));
        Assert.All(files, f => Assert.Equal(new FileInfo(f.SourcePath!).Length, f.Length));
    }
}
