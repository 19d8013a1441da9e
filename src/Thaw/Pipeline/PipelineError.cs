namespace Thaw.Pipeline;

/// <summary>Why a pipeline run was refused or failed.</summary>
public enum PipelineError
{
    /// <summary>The output's file system has less free space than the planned output needs.</summary>
    InsufficientDiskSpace,

    /// <summary>The output would be written inside an input, or would replace a folder holding an input.</summary>
    OutputOverlapsInput,

    /// <summary>The smallest chunk of a tensor does not fit in the memory limit.</summary>
    MemoryLimitTooSmall,

    /// <summary>A tensor's rows are so long that even its smallest chunk exceeds the chunk size limit (1 GiB).</summary>
    ChunkTooLarge,

    /// <summary>A producer's rows do not add up to the tensor it produces.</summary>
    ProducerMismatch,
}
