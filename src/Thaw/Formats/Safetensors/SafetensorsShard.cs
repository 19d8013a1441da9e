using Thaw.Tensors;

namespace Thaw.Formats.Safetensors;

/// <summary>One file of a (possibly single-file) safetensors checkpoint and the tensors it holds.</summary>
public sealed record SafetensorsShard(string FileName, IReadOnlyList<TensorInfo> Tensors)
{
    /// <summary>Bytes of tensor data in this shard (the header not included).</summary>
    public long DataLength => Tensors.Sum(t => t.ByteLength);
}
