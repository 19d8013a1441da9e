using Thaw.Tensors;

namespace Thaw.Formats;

/// <summary>Row-chunk reads on top of <see cref="ITensorFile.ReadBytes"/>.</summary>
public static class TensorFileExtensions
{
    /// <summary>Reads rows [firstRow, firstRow + rowCount) of a tensor into <paramref name="destination"/>.</summary>
    public static void ReadRows(this ITensorFile file, TensorInfo tensor, long firstRow, int rowCount, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, tensor.RowCount);
        var length = checked(tensor.RowByteLength * rowCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, length);
        file.ReadBytes(tensor, firstRow * tensor.RowByteLength, destination[..(int)length]);
    }

    /// <summary>Reads a whole tensor into a new array. Only for small tensors (metadata, quant states, tests).</summary>
    public static byte[] ReadAll(this ITensorFile file, TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ByteLength > Array.MaxLength)
            throw new InvalidOperationException($"tensor '{tensor.Name}' ({tensor.ByteLength} bytes) is too large to read whole; read it in row chunks");
        var data = new byte[tensor.ByteLength];
        file.ReadBytes(tensor, 0, data);
        return data;
    }
}
