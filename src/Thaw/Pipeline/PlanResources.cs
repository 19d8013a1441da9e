using System.Globalization;
using System.Text;
using Thaw.IO;

namespace Thaw.Pipeline;

/// <summary>
/// What any output plan (a safetensors folder, a GGUF file) needs of the machine, computed and stated one way:
/// memory for the chunk buffers in flight, and disk for the output plus a margin.
/// </summary>
internal static class PlanResources
{
    /// <summary>Most bytes of chunk buffers in flight: the memory limit, or less when the chunks are smaller.</summary>
    public static long MemoryBound(IReadOnlyList<PlannedTensor> tensors, PipelineOptions options) =>
        Math.Min(options.MaxMemory, (tensors.Count == 0 ? 0 : tensors.Max(t => t.ChunkBufferBytes)) * options.Threads);

    /// <exception cref="PipelineException">The file system has less free space than the output plus the margin.</exception>
    public static void CheckFreeSpace(string outputPath, long outputBytes, long? freeBytes)
    {
        if (freeBytes is { } free && free < outputBytes + PipelinePlan.FreeSpaceMargin)
        {
            PipelineException.Throw(PipelineError.InsufficientDiskSpace, outputPath, null,
                $"the output needs {ByteSize.Format(outputBytes)} (+{ByteSize.Format(PipelinePlan.FreeSpaceMargin)} margin) but its file system has only {ByteSize.Format(free)} free; free some space or write elsewhere");
        }
    }

    /// <summary>The "memory:" and "disk:" lines of a plan's description.</summary>
    public static void Describe(StringBuilder text, IReadOnlyList<PlannedTensor> tensors, PipelineOptions options, long memoryBound, long? freeBytes, long requiredFreeBytes)
    {
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"memory: at most {ByteSize.Format(memoryBound)} of chunk buffers in flight ({options.Threads} threads, limit {ByteSize.Format(options.MaxMemory)}, {tensors.Sum(t => t.ChunkCount):N0} chunks)");
        var free = freeBytes is { } bytes
            ? $"{ByteSize.Format(bytes)} free, {ByteSize.Format(requiredFreeBytes)} needed{(bytes < requiredFreeBytes ? " (NOT ENOUGH)" : "")}"
            : "free space unknown";
        text.AppendLine(inv, $"disk: {free}");
    }
}
