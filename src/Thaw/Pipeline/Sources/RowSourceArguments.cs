namespace Thaw.Pipeline.Sources;

/// <summary>The one argument check every <see cref="ITensorRowSource.ReadRows"/> makes at entry.</summary>
internal static class RowSourceArguments
{
    /// <summary>Returns the number of values to produce, after checking the range and the destination size.</summary>
    public static int Validate(ITensorRowSource source, long firstRow, int rowCount, Span<float> destination) =>
        Validate(source, firstRow, rowCount, destination.Length);

    /// <summary>As above, for a destination holding <paramref name="destinationLength"/> values of any type.</summary>
    public static int Validate(ITensorRowSource source, long firstRow, int rowCount, int destinationLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, source.RowCount, nameof(rowCount));
        var count = checked(rowCount * source.RowLength);
        if (destinationLength != count)
            throw new ArgumentException($"destination holds {destinationLength} values; {rowCount} rows of {source.RowLength} need {count}", "destination");
        return (int)count;
    }
}
