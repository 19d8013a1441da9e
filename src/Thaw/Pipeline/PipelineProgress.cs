namespace Thaw.Pipeline;

/// <summary>How far a run is: tensors and bytes done, and the tensor a chunk was just finished for.</summary>
public sealed record PipelineProgress(int TensorsDone, int TensorCount, long BytesDone, long TotalBytes, string? CurrentTensor)
{
    /// <summary>Fraction of the bytes done, 0 to 1 (1 when there is nothing to write).</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesDone / TotalBytes;
}
