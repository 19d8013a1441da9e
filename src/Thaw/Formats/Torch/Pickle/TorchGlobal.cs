using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>What an allow-listed pickle GLOBAL stands for.</summary>
internal enum TorchGlobalKind
{
    /// <summary>collections.OrderedDict.</summary>
    OrderedDict,

    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).</summary>
    RebuildTensorV2,

    /// <summary>torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata]).</summary>
    RebuildTensorV3,

    /// <summary>torch._utils._rebuild_parameter(tensor, requires_grad, hooks).</summary>
    RebuildParameter,

    /// <summary>torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state).</summary>
    RebuildParameterWithState,

    /// <summary>A storage class (torch.FloatStorage, ..., torch.UntypedStorage) naming the storage element type.</summary>
    StorageClass,

    /// <summary>A torch dtype (torch.float8_e4m3fn, ...), passed to _rebuild_tensor_v3.</summary>
    DType,
}

/// <summary>
/// An allow-listed global as a tag: nothing is imported or called. <see cref="DType"/> is the element type of a
/// storage class (null for untyped byte storage) or the dtype a dtype global names.
/// </summary>
internal sealed record TorchGlobal(string QualifiedName, TorchGlobalKind Kind, DType? DType = null);
