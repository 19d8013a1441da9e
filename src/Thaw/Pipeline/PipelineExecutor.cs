using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Thaw.Pipeline;

/// <summary>
/// Runs a plan: produces every tensor in row chunks, in parallel on <see cref="PipelineOptions.Threads"/> workers,
/// and hands each chunk to a sink at its offset. Chunk buffers come from the array pool and are taken from a byte
/// budget of <see cref="PipelineOptions.MaxMemory"/>, so no tensor is ever held whole and memory in flight stays
/// bounded whatever the model's size.
/// </summary>
public static class PipelineExecutor
{
    /// <summary>
    /// Produces every tensor of <paramref name="plan"/> into <paramref name="sink"/>. Progress is reported after
    /// each chunk, one report at a time (never concurrently), from worker threads.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static void Run(PipelinePlan plan, ITensorSink sink, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Run(plan.Tensors, plan.Options, sink, progress, cancellationToken);
    }

    /// <summary>As <see cref="Run(PipelinePlan, ITensorSink, IProgress{PipelineProgress}?, CancellationToken)"/>, for the
    /// planned tensors of any output format (a safetensors folder, a GGUF file).</summary>
    public static void Run(IReadOnlyList<PlannedTensor> tensors, PipelineOptions pipelineOptions, ITensorSink sink,
        IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(pipelineOptions);
        ArgumentNullException.ThrowIfNull(sink);
        var budget = new ByteBudget(pipelineOptions.MaxMemory);
        var tracker = new ProgressTracker(tensors, progress);
        var options = new ParallelOptions { MaxDegreeOfParallelism = pipelineOptions.Threads, CancellationToken = cancellationToken };
        try
        {
            // No buffering: chunks are handed out in plan order, one at a time, so that work (and memory) follows the files.
            Parallel.ForEach(
                Partitioner.Create(Chunks(tensors), EnumerablePartitionerOptions.NoBuffering), options,
                chunk => RunChunk(chunk, sink, budget, tracker, cancellationToken));
        }
        catch (AggregateException e)
        {
            // Report the failure that stopped the run, not the cancellations it caused.
            var first = e.Flatten().InnerExceptions.FirstOrDefault(x => x is not OperationCanceledException) ?? e.InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    private static IEnumerable<Chunk> Chunks(IReadOnlyList<PlannedTensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            var rows = tensor.Tensor.Producer.RowCount;
            for (long first = 0; first < rows && tensor.RowsPerChunk > 0; first += tensor.RowsPerChunk)
                yield return new Chunk(tensor, first, (int)Math.Min(tensor.RowsPerChunk, rows - first));
        }
    }

    private static void RunChunk(Chunk chunk, ITensorSink sink, ByteBudget budget, ProgressTracker tracker, CancellationToken cancellationToken)
    {
        var producer = chunk.Tensor.Tensor.Producer;
        var outputBytes = (int)(chunk.RowCount * producer.RowByteLength);
        var scratchBytes = (int)(chunk.RowCount * producer.ScratchBytesPerRow);
        var accounted = ChunkSizing.BufferBytes(outputBytes + scratchBytes);
        budget.Acquire(accounted, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(outputBytes + scratchBytes);
        try
        {
            // Scratch first: the pool's arrays are aligned, and float32 scratch benefits from it more than bytes do.
            var scratch = buffer.AsSpan(0, scratchBytes);
            var output = buffer.AsSpan(scratchBytes, outputBytes);
            producer.Produce(chunk.FirstRow, chunk.RowCount, output, scratch);
            sink.Write(chunk.Tensor, chunk.FirstRow * producer.RowByteLength, output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            budget.Release(accounted);
        }
        tracker.ChunkDone(chunk.Tensor, outputBytes);
    }

    private readonly record struct Chunk(PlannedTensor Tensor, long FirstRow, int RowCount);

    /// <summary>Counts bytes and finished tensors; reports under a lock so reports are consistent and ordered.</summary>
    private sealed class ProgressTracker
    {
        private readonly Lock _lock = new();
        private readonly IProgress<PipelineProgress>? _progress;
        private readonly Dictionary<PlannedTensor, long> _remaining;
        private readonly int _tensorCount;
        private readonly long _totalBytes;
        private int _tensorsDone;
        private long _bytesDone;

        public ProgressTracker(IReadOnlyList<PlannedTensor> tensors, IProgress<PipelineProgress>? progress)
        {
            _progress = progress;
            _tensorCount = tensors.Count;
            _totalBytes = tensors.Sum(t => t.Tensor.ByteLength);
            _remaining = tensors.Where(t => t.Tensor.ByteLength > 0).ToDictionary<PlannedTensor, PlannedTensor, long>(t => t, t => t.Tensor.ByteLength, ReferenceEqualityComparer.Instance);
            _tensorsDone = _tensorCount - _remaining.Count;
            progress?.Report(new PipelineProgress(_tensorsDone, _tensorCount, 0, _totalBytes, null));
        }

        public void ChunkDone(PlannedTensor tensor, long bytes)
        {
            lock (_lock)
            {
                _bytesDone += bytes;
                var left = _remaining[tensor] -= bytes;
                if (left == 0)
                    _tensorsDone++;
                _progress?.Report(new PipelineProgress(_tensorsDone, _tensorCount, _bytesDone, _totalBytes, tensor.Tensor.Name));
            }
        }
    }
}
