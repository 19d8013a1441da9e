using System.Collections.Immutable;

namespace Thaw.Tensors;

/// <summary>
/// What a checkpoint says about one tensor: its name, element type and shape. Row-major, C order, no strides.
/// The byte length is validated by the reader that produced it, so it never overflows.
/// </summary>
public sealed record TensorInfo(string Name, DType DType, ImmutableArray<long> Shape, long ByteLength)
{
    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
                n *= d;
            return n;
        }
    }

    /// <summary>Number of rows: the first dimension (1 for a scalar).</summary>
    public long RowCount => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Bytes in one row (all of it for a scalar or a tensor with zero rows).</summary>
    public long RowByteLength => RowCount == 0 ? 0 : ByteLength / RowCount;

    /// <summary>"[32000, 32]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>
    /// Computes the byte length of a tensor, or null when the shape is negative or the size overflows.
    /// Sub-byte types must fill whole bytes.
    /// </summary>
    public static long? TryComputeByteLength(DType dtype, ReadOnlySpan<long> shape)
    {
        try
        {
            long elements = 1;
            foreach (var d in shape)
            {
                if (d < 0)
                    return null;
                elements = checked(elements * d);
            }
            var bits = checked(elements * DTypes.BitSize(dtype));
            return bits % 8 == 0 ? bits / 8 : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
