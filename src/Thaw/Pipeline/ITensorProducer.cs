namespace Thaw.Pipeline;

/// <summary>
/// Produces the bytes of one output tensor, a chunk of rows at a time. A row is whatever unit the producer
/// chooses (usually the tensor's first dimension): <see cref="RowCount"/> × <see cref="RowByteLength"/> is the
/// tensor's byte length. Chunks of one tensor may be produced concurrently and in any order, so
/// <see cref="Produce"/> must be thread-safe and depend only on its row range.
/// </summary>
public interface ITensorProducer
{
    /// <summary>Number of rows.</summary>
    long RowCount { get; }

    /// <summary>Output bytes per row.</summary>
    long RowByteLength { get; }

    /// <summary>Working memory needed per row besides the output (e.g. the float32 values before a cast).</summary>
    long ScratchBytesPerRow { get; }

    /// <summary>
    /// Chunks start at a multiple of this many rows and hold a multiple of it (except the last): 1 for most
    /// producers, a block's rows for producers whose rows depend on a whole block.
    /// </summary>
    int ChunkRowMultiple { get; }

    /// <summary>What the producer does, for plans: "copy BF16", "dequantize nf4 → BF16", ...</summary>
    string Description { get; }

    /// <summary>
    /// Writes rows [firstRow, firstRow + rowCount) into <paramref name="destination"/> (exactly rowCount ×
    /// <see cref="RowByteLength"/> bytes), using <paramref name="scratch"/> (rowCount ×
    /// <see cref="ScratchBytesPerRow"/> bytes, contents undefined) as working memory.
    /// </summary>
    void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch);
}
