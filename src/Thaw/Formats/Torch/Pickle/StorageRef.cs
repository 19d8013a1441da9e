using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>
/// A storage named by a persistent id <c>('storage', storage class, key, location, numel)</c>: the bytes of zip record
/// <c>data/&lt;key&gt;</c>. <see cref="ElementType"/> is null for an untyped storage, whose numel counts bytes. The
/// location ("cpu", "cuda:0") only says where torch would load it and is not kept.
/// </summary>
internal sealed record StorageRef(string Key, DType? ElementType, long ElementCount)
{
    /// <summary>Bytes per storage element.</summary>
    public int ElementSize => ElementType is { } type ? DTypes.ByteSize(type) : 1;
}
