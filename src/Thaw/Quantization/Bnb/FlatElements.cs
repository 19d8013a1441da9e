using System.Buffers;
using Thaw.Pipeline.Sources;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Reads a range of a tensor's row-major flattening from a row source. bitsandbytes blocks run over the flattened
/// weight, so a block may start or end inside a row: whole rows are read in place, a partial first or last row
/// through a one-row buffer.
/// </summary>
internal static class FlatElements
{
    public static long Count(ITensorRowSource source) => checked(source.RowCount * source.RowLength);

    /// <summary>Writes elements [first, first + destination.Length) into <paramref name="destination"/>.</summary>
    public static void Read(ITensorRowSource source, long first, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + destination.Length, Count(source), nameof(destination));
        if (destination.IsEmpty)
            return;
        var rowLength = checked((int)source.RowLength);
        var row = first / rowLength;
        var offset = (int)(first % rowLength);
        var done = 0;
        if (offset != 0 || destination.Length < rowLength)
        {
            var count = Math.Min(rowLength - offset, destination.Length);
            ReadPartialRow(source, row, offset, destination[..count]);
            done = count;
            row++;
        }
        var wholeRows = (destination.Length - done) / rowLength;
        if (wholeRows > 0)
        {
            source.ReadRows(row, wholeRows, destination.Slice(done, wholeRows * rowLength));
            done += wholeRows * rowLength;
            row += wholeRows;
        }
        if (done < destination.Length)
            ReadPartialRow(source, row, 0, destination[done..]);
    }

    private static void ReadPartialRow(ITensorRowSource source, long row, int offset, Span<float> destination)
    {
        var rowLength = (int)source.RowLength;
        var buffer = ArrayPool<float>.Shared.Rent(rowLength);
        try
        {
            source.ReadRows(row, 1, buffer.AsSpan(0, rowLength));
            buffer.AsSpan(offset, destination.Length).CopyTo(destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
