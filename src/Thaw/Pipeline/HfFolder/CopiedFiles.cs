namespace Thaw.Pipeline.HfFolder;

/// <summary>
/// The files of a model folder that travel with its weights: what <c>save_pretrained</c> of a tokenizer, processor
/// or generation config writes. Weights, shard indexes, config.json (rewritten separately), adapters, READMEs and
/// anything unknown are never copied.
/// </summary>
public static class CopiedFiles
{
    /// <summary>Folder transformers saves extra named chat templates in (one .jinja file each).</summary>
    public const string ChatTemplateFolder = "additional_chat_templates";

    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "generation_config.json",
        // Tokenizers: the fast tokenizer, its config, and the vocabulary files of the slow ones.
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "vocab.json", "merges.txt", "vocab.txt",
        "qwen.tiktoken", "tiktoken.model",
        // Chat templates, saved apart from tokenizer_config.json since transformers 4.43.
        "chat_template.jinja", "chat_template.json",
        // Processors of vision and audio models.
        "preprocessor_config.json", "processor_config.json", "video_preprocessor_config.json",
    };

    /// <summary>True for a file name (in the model folder) that is copied.</summary>
    public static bool IsCopied(string fileName) => Names.Contains(fileName);

    /// <summary>The companion files present in <paramref name="folder"/>, in name order, as copies to make.</summary>
    public static IReadOnlyList<CompanionFile> In(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var files = Directory.EnumerateFiles(folder)
            .Where(path => IsCopied(Path.GetFileName(path)))
            .Select(path => CompanionFile.CopyOf(Path.GetFileName(path), path))
            .ToList();
        var templates = Path.Combine(folder, ChatTemplateFolder);
        if (Directory.Exists(templates))
        {
            files.AddRange(Directory.EnumerateFiles(templates, "*.jinja")
                .Select(path => CompanionFile.CopyOf($"{ChatTemplateFolder}/{Path.GetFileName(path)}", path)));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return files;
    }
}
