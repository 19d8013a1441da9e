using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>
/// A storage named by a persistent id <c>('storage', storage class, key, location, numel)</c>: the bytes of zip record
/// <c>data/&lt;key&gt;</c>. <see cref="ElementType"/> is null for an untyped storage, whose numel counts bytes.
/// </summary>
internal sealed record StorageRef(string Key, DType? ElementType, long ElementCount, string Location)
{
    /// <summary>Bytes per storage element.</summary>
    public int ElementSize => ElementType is { } type ? DTypes.ByteSize(type) : 1;
}
