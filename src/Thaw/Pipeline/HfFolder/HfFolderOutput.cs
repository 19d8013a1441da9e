using System.Diagnostics;
using Thaw.Formats.Safetensors;
using Thaw.IO;

namespace Thaw.Pipeline.HfFolder;

/// <summary>
/// Writes a plan as a Hugging Face model folder: the safetensors shards (or one model.safetensors), the index and
/// the companion files. Everything is written into a hidden temporary sibling folder that is renamed into place
/// only when complete; an existing output is replaced only with <see cref="PipelineOptions.Force"/>, and only then.
/// Any failure or cancellation removes the temporary folder and leaves an existing output untouched.
/// </summary>
public static class HfFolderOutput
{
    /// <exception cref="PipelineException">Not enough free disk space.</exception>
    /// <exception cref="OutputException">The output exists and Force is off, or it cannot be put in place.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static OutputSummary Write(PipelinePlan plan, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        plan.CheckFreeSpace();
        using var pending = AtomicOutput.BeginDirectory(plan.OutputPath, plan.Options.Force);
        var writers = new List<SafetensorsWriter>(plan.Layouts.Count);
        try
        {
            foreach (var (shard, layout) in plan.Shards.Shards.Zip(plan.Layouts))
                writers.Add(SafetensorsWriter.Create(Path.Combine(pending.TempPath, shard.FileName), layout));
            var byFile = plan.Shards.Shards.Select((s, i) => (s.FileName, Writer: writers[i]))
                .ToDictionary(p => p.FileName, p => p.Writer, StringComparer.Ordinal);
            PipelineExecutor.Run(plan, new ShardSink(byFile), progress, cancellationToken);

            foreach (var writer in writers)
                writer.Complete();
            foreach (var file in plan.CompanionFiles)
            {
                cancellationToken.ThrowIfCancellationRequested();
                file.WriteTo(pending.TempPath);
            }
            pending.Commit();
        }
        finally
        {
            foreach (var writer in writers)
                writer.Dispose();
        }
        return new OutputSummary(plan.OutputPath, [.. plan.FileNames], plan.Tensors.Count, plan.TensorBytes, plan.OutputBytes, clock.Elapsed);
    }

    /// <summary>Routes each chunk to the writer of its tensor's shard.</summary>
    private sealed class ShardSink(Dictionary<string, SafetensorsWriter> writers) : ITensorSink
    {
        public void Write(PlannedTensor tensor, long byteOffset, ReadOnlySpan<byte> data) =>
            writers[tensor.FileName].Write(tensor.Tensor.Name, byteOffset, data);
    }
}
