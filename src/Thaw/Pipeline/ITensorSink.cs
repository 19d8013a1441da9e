namespace Thaw.Pipeline;

/// <summary>Where the executor puts produced bytes: each chunk at its offset within its tensor.</summary>
public interface ITensorSink
{
    /// <summary>Writes <paramref name="data"/> at <paramref name="byteOffset"/> bytes into <paramref name="tensor"/>; thread-safe.</summary>
    void Write(PlannedTensor tensor, long byteOffset, ReadOnlySpan<byte> data);
}
