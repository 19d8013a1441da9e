using System.Diagnostics;
using Thaw.Formats.Gguf;
using Thaw.Pipeline.HfFolder;

namespace Thaw.Pipeline.Gguf;

/// <summary>
/// Writes a <see cref="GgufPlan"/>: the header, then every tensor's chunks at their offsets, into a temporary
/// sibling renamed into place only when every byte is written. A failure or cancellation leaves nothing.
/// </summary>
public static class GgufFileOutput
{
    /// <exception cref="PipelineException">Not enough free disk space.</exception>
    /// <exception cref="IO.OutputException">The output exists and Force is off.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static OutputSummary Write(GgufPlan plan, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        plan.CheckFreeSpace();
        using var writer = GgufWriter.Create(plan.OutputPath, plan.Layout, plan.Options.Force);
        PipelineExecutor.Run(plan.Tensors, plan.Options, new Sink(writer), progress, cancellationToken);
        writer.Complete();
        return new OutputSummary(plan.OutputPath, [Path.GetFileName(plan.OutputPath)], plan.Tensors.Count,
            plan.Tensors.Sum(t => t.Tensor.ByteLength), plan.OutputBytes, clock.Elapsed);
    }

    private sealed class Sink(GgufWriter writer) : ITensorSink
    {
        public void Write(PlannedTensor tensor, long byteOffset, ReadOnlySpan<byte> data) => writer.Write(tensor.Tensor.Name, byteOffset, data);
    }
}
