using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;

namespace Thaw.Pipeline.Gguf;

/// <summary>What to write: the file, the type choice, the pipeline settings, and where the tokenizer keys come from.</summary>
public sealed record GgufExportRequest
{
    public required string OutputPath { get; init; }

    public required GgufOutputType Type { get; init; }

    public required PipelineOptions Options { get; init; }

    /// <summary>general.name; null for the model folder's name as a title, as llama.cpp's converter does.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The tokenizer.* keys for a vocabulary of the given number of embedding rows (the token list must have exactly
    /// that many entries), read from the given tokenizer folders (later ones win). Default: the model's own tokenizer
    /// files (<see cref="GgufTokenizer.Keys"/>). Adapter files have no tokenizer keys.
    /// </summary>
    public Func<GgufTokenizerInput, IReadOnlyList<KeyValuePair<string, GgufValue>>> Tokenizer { get; init; } = GgufTokenizer.Keys;
}

/// <summary>What the tokenizer keys are made from: the folders holding tokenizer files, the config, the embedding rows.</summary>
public sealed record GgufTokenizerInput(IReadOnlyList<string> Folders, Models.ModelConfig Config, long EmbeddingRows);
