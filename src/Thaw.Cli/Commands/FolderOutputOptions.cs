using System.CommandLine;
using Thaw.Pipeline;

namespace Thaw.Cli.Commands;

/// <summary>The options of every command that writes a model folder through the pipeline.</summary>
internal sealed class FolderOutputOptions
{
    private readonly Option<long> maxShardSize = ResourceOptions.Size("--max-shard-size", "Most tensor bytes per safetensors file (default 5GB).");
    private readonly Option<long> maxMemory = ResourceOptions.Size("--max-memory", "Most memory for chunk buffers in flight (default 256MiB).");
    private readonly Option<int> threads = ResourceOptions.Threads();
    private readonly Option<bool> force = new("--force") { Description = "Replace an existing output folder (only once the new one is complete)." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(maxShardSize);
        command.Options.Add(maxMemory);
        command.Options.Add(threads);
        command.Options.Add(force);
    }

    /// <summary>The pipeline settings the command line asked for, defaults filled in.</summary>
    public PipelineOptions Read(ParseResult result) => new()
    {
        MaxShardSize = result.ValueOr(maxShardSize, PipelineOptions.DefaultMaxShardSize),
        MaxMemory = result.ValueOr(maxMemory, PipelineOptions.DefaultMaxMemory),
        Threads = result.ValueOr(threads, Environment.ProcessorCount),
        Force = result.GetValue(force),
    };
}
