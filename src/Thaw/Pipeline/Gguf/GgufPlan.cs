using System.Globalization;
using System.Text;
using Thaw.Formats.Gguf;
using Thaw.IO;

namespace Thaw.Pipeline.Gguf;

/// <summary>
/// A GGUF file decided before any byte is written: its layout (key/values, tensor infos and offsets), every
/// tensor's producer and chunking, the memory bound and the free space of the output's file system.
/// </summary>
public sealed class GgufPlan
{
    internal GgufPlan(string outputPath, PipelineOptions options, GgufLayout layout, IReadOnlyList<PlannedTensor> tensors,
        long parameterCount, IReadOnlyList<string> notes)
    {
        OutputPath = outputPath;
        Options = options;
        Layout = layout;
        Tensors = tensors;
        ParameterCount = parameterCount;
        Notes = notes;
        FreeBytes = options.FreeSpaceProbe(outputPath);
        var largestChunk = tensors.Count == 0 ? 0 : tensors.Max(t => t.ChunkBufferBytes);
        MemoryBound = Math.Min(options.MaxMemory, largestChunk * options.Threads);
    }

    /// <summary>The output file (full path).</summary>
    public string OutputPath { get; }

    public PipelineOptions Options { get; }

    public GgufLayout Layout { get; }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>Elements of every tensor (what general.size_label counts).</summary>
    public long ParameterCount { get; }

    /// <summary>What the conversion changed or decided, for summaries (tied embeddings, type fallbacks).</summary>
    public IReadOnlyList<string> Notes { get; }

    public long OutputBytes => Layout.FileLength;

    /// <summary>Free bytes of the output's file system, or null when unknown.</summary>
    public long? FreeBytes { get; }

    public long RequiredFreeBytes => OutputBytes + PipelinePlan.FreeSpaceMargin;

    /// <summary>Most bytes of chunk buffers in flight.</summary>
    public long MemoryBound { get; }

    /// <exception cref="PipelineException">The file system has less free space than <see cref="RequiredFreeBytes"/>.</exception>
    public void CheckFreeSpace()
    {
        if (FreeBytes is { } free && free < RequiredFreeBytes)
        {
            PipelineException.Throw(PipelineError.InsufficientDiskSpace, OutputPath, null,
                $"the output needs {ByteSize.Format(OutputBytes)} (+{ByteSize.Format(PipelinePlan.FreeSpaceMargin)} margin) but its file system has only {ByteSize.Format(free)} free; free some space or write elsewhere");
        }
    }

    /// <summary>A human-readable summary: key/values, tensors with their types and steps, size, memory and disk.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"output: {OutputPath}");
        text.AppendLine(inv, $"gguf: {Layout.Metadata.Count} key/values, {Tensors.Count} tensors ({ParameterCount:N0} parameters), {ByteSize.Format(OutputBytes)}");
        foreach (var (key, value) in Layout.Metadata)
            text.AppendLine(inv, $"  {key} = {value}");
        text.AppendLine(inv, $"memory: at most {ByteSize.Format(MemoryBound)} of chunk buffers in flight ({Options.Threads} threads, limit {ByteSize.Format(Options.MaxMemory)}, {Tensors.Sum(t => t.ChunkCount):N0} chunks)");
        var free = FreeBytes is { } bytes
            ? $"{ByteSize.Format(bytes)} free, {ByteSize.Format(RequiredFreeBytes)} needed{(bytes < RequiredFreeBytes ? " (NOT ENOUGH)" : "")}"
            : "free space unknown";
        text.AppendLine(inv, $"disk: {free}");
        foreach (var (planned, info) in Tensors.Zip(Layout.Tensors))
            text.AppendLine(inv, $"  {info.Name}  {info.DimensionsText}  {planned.Tensor.Producer.Description}");
        return text.ToString();
    }
}
