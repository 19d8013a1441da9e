using System.Numerics;

namespace Thaw.Pipeline;

/// <summary>
/// How many rows a chunk holds. Each chunk rents one pooled buffer (output bytes + working memory), whose size is
/// the request rounded up to a power of two; chunks are sized so that <c>threads</c> of them fit in the memory
/// limit, and no larger than <see cref="TargetChunkBytes"/>, which is enough to amortize the per-chunk cost.
/// </summary>
internal static class ChunkSizing
{
    public const long TargetChunkBytes = 16L << 20;

    /// <summary>The most one chunk may hold: larger buffers are not pooled and are near .NET's array limit.</summary>
    public const long MaxChunkBytes = 1L << 30;

    /// <summary>The budget of one chunk: a power of two, at most <see cref="TargetChunkBytes"/>.</summary>
    public static long BudgetPerChunk(long maxMemory, int threads) =>
        Math.Min(TargetChunkBytes, (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, maxMemory / threads) + 1) / 2);

    /// <summary>The buffer size a request of <paramref name="bytes"/> occupies in the pool.</summary>
    public static long BufferBytes(long bytes) => bytes <= 1 ? bytes : (long)BitOperations.RoundUpToPowerOf2((ulong)bytes);

    /// <summary>
    /// Rows per chunk for <paramref name="tensor"/> and the buffer one chunk needs; refuses a tensor whose smallest
    /// chunk does not fit in <paramref name="maxMemory"/>.
    /// </summary>
    public static (int Rows, long BufferBytes) For(OutputTensor tensor, long maxMemory, int threads)
    {
        var producer = tensor.Producer;
        if (tensor.ByteLength == 0)
            return (0, 0);
        var bytesPerRow = checked(producer.RowByteLength + producer.ScratchBytesPerRow);
        var multiple = producer.ChunkRowMultiple;
        var smallestRows = Math.Min(multiple, producer.RowCount);
        var smallest = checked(smallestRows * bytesPerRow);
        if (smallest > MaxChunkBytes)
        {
            PipelineException.Throw(PipelineError.ChunkTooLarge, null, tensor.Name,
                $"its smallest chunk ({smallestRows} rows of {bytesPerRow} bytes, with working memory) is {smallest} bytes, above the {MaxChunkBytes}-byte chunk limit; this tensor's rows are too long to stream");
        }
        if (BufferBytes(smallest) > maxMemory)
        {
            PipelineException.Throw(PipelineError.MemoryLimitTooSmall, null, tensor.Name,
                $"its smallest chunk needs a {BufferBytes(smallest)}-byte buffer ({smallestRows} rows of {bytesPerRow} bytes, with working memory), more than the memory limit of {maxMemory} bytes; raise --max-memory");
        }
        var budget = BudgetPerChunk(maxMemory, threads);
        var rows = budget / bytesPerRow / multiple * multiple;
        rows = Math.Clamp(rows, smallestRows, producer.RowCount);
        rows = Math.Min(rows, int.MaxValue / multiple * multiple);
        return ((int)rows, BufferBytes(rows * bytesPerRow));
    }
}
