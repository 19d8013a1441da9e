using Thaw.Tensors;

namespace Thaw.Formats;

/// <summary>
/// An opened checkpoint file whose header has been fully validated. Tensor data stays on disk and is read
/// on demand at explicit offsets; reads are thread-safe, so workers can fetch row chunks in parallel.
/// </summary>
public interface ITensorFile : IDisposable
{
    /// <summary>The path the file was opened from.</summary>
    string Path { get; }

    /// <summary>Every tensor, in the order of their data in the file.</summary>
    IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>String metadata stored in the file (safetensors <c>__metadata__</c>); empty when absent.</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Looks a tensor up by name.</summary>
    bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorInfo? tensor);

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes of <paramref name="tensor"/>'s data, starting
    /// <paramref name="byteOffset"/> bytes into it. The range must lie inside the tensor.
    /// </summary>
    void ReadBytes(TensorInfo tensor, long byteOffset, Span<byte> destination);
}
