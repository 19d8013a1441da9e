namespace Thaw.Tensors;

/// <summary>Why a <see cref="TensorException"/> was thrown.</summary>
public enum TensorErrorReason
{
    /// <summary>No conversion between the two dtypes (a dtype Thaw cannot decode or cannot write).</summary>
    UnsupportedConversion,
}
