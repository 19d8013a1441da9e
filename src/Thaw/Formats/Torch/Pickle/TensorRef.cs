using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>
/// A tensor as a rebuild call describes it: a view of <see cref="Storage"/> starting <see cref="StorageOffset"/>
/// elements in, with the given sizes and strides (both in elements). Values are as pickled; the checkpoint reader
/// validates them against the storage.
/// </summary>
internal sealed record TensorRef(StorageRef Storage, DType DType, long StorageOffset, ImmutableArray<long> Size, ImmutableArray<long> Stride);
