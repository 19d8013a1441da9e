namespace Thaw.Pipeline.Sources;

/// <summary>The one argument check every <see cref="ITensorRowSource.ReadRows"/> makes at entry.</summary>
internal static class RowSourceArguments
{
    /// <summary>Returns the number of values to produce, after checking the range and the destination size.</summary>
    public static int Validate(ITensorRowSource source, long firstRow, int rowCount, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, source.RowCount, nameof(rowCount));
        var count = checked(rowCount * source.RowLength);
        if (destination.Length != count)
            throw new ArgumentException($"destination holds {destination.Length} values; {rowCount} rows of {source.RowLength} need {count}", nameof(destination));
        return (int)count;
    }
}
