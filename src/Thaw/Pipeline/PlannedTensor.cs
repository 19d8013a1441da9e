namespace Thaw.Pipeline;

/// <summary>Where one output tensor goes and how it is cut into chunks.</summary>
/// <param name="Tensor">The tensor and its producer.</param>
/// <param name="FileName">The safetensors file (shard) that holds it.</param>
/// <param name="FileOffset">The byte offset of its data in that file.</param>
/// <param name="RowsPerChunk">Rows produced per chunk (0 for a tensor without bytes).</param>
/// <param name="ChunkBufferBytes">Memory one chunk holds while in flight (its pooled buffer's size).</param>
public sealed record PlannedTensor(OutputTensor Tensor, string FileName, long FileOffset, int RowsPerChunk, long ChunkBufferBytes)
{
    /// <summary>Number of chunks the tensor is produced in.</summary>
    public long ChunkCount => RowsPerChunk == 0 ? 0 : (Tensor.Producer.RowCount + RowsPerChunk - 1) / RowsPerChunk;
}
