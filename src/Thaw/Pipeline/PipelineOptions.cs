namespace Thaw.Pipeline;

/// <summary>How an output is written: shard size, memory and thread limits, replacement of an existing output.</summary>
public sealed record PipelineOptions
{
    /// <summary>transformers 4.x's and huggingface_hub's default: 5 GB (decimal) of tensor data per file.</summary>
    public const long DefaultMaxShardSize = 5_000_000_000;

    /// <summary>256 MiB of chunk buffers in flight: enough to keep every core busy with large chunks.</summary>
    public const long DefaultMaxMemory = 256L << 20;

    private readonly long _maxShardSize = DefaultMaxShardSize;
    private readonly long _maxMemory = DefaultMaxMemory;
    private readonly int _threads = Environment.ProcessorCount;

    /// <summary>Most bytes of tensor data per safetensors file (a larger tensor gets a file of its own).</summary>
    public long MaxShardSize
    {
        get => _maxShardSize;
        init => _maxShardSize = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxShardSize), value, "must be positive");
    }

    /// <summary>Most bytes of chunk buffers (output and working memory) in flight at once.</summary>
    public long MaxMemory
    {
        get => _maxMemory;
        init => _maxMemory = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxMemory), value, "must be positive");
    }

    /// <summary>Chunks produced in parallel; default: one per processor.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(Threads), value, "must be positive");
    }

    /// <summary>Replace an existing output (only once the new one is complete).</summary>
    public bool Force { get; init; }

    /// <summary>Free bytes on the file system that will hold a path (null: unknown); <see cref="FreeSpace.Available"/> by default.</summary>
    public Func<string, long?> FreeSpaceProbe { get; init; } = FreeSpace.Available;
}
