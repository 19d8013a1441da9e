using System.Buffers;
using System.Collections.Immutable;
using Thaw.Pipeline.Sources;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// A GPT-2 style Conv1D weight, stored [in, out], seen as the [out, in] matrix transformers hands to bitsandbytes (it
/// transposes Conv1D weights before quantizing them into Linear4bit / Linear8bitLt). Each read gathers its columns
/// from bands of stored rows, so memory stays at one band whatever the weight's size.
/// </summary>
internal sealed class Conv1DWeightSource : ITensorRowSource
{
    private const int BandElements = 1 << 18;

    private readonly ITensorRowSource _stored;

    public Conv1DWeightSource(ITensorRowSource stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Shape.Length != 2)
            throw new ArgumentException($"Conv1D weight '{stored.Name}' has shape [{string.Join(", ", stored.Shape)}], expected [in, out]", nameof(stored));
        _stored = stored;
        Shape = [stored.Shape[1], stored.Shape[0]];
    }

    public string Name => _stored.Name;

    public ImmutableArray<long> Shape { get; }

    public long RowCount => Shape[0];

    public long RowLength => Shape[1];

    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, RowCount, nameof(rowCount));
        var inFeatures = checked((int)RowLength);
        var outFeatures = checked((int)RowCount);
        if (destination.Length != checked(rowCount * inFeatures))
            throw new ArgumentException($"destination holds {destination.Length} values; {rowCount} rows of {inFeatures} need {rowCount * inFeatures}", nameof(destination));

        // Output row r, column c is stored row c, column r.
        var bandRows = Math.Max(1, BandElements / Math.Max(1, outFeatures));
        var band = ArrayPool<float>.Shared.Rent(Math.Min(bandRows, inFeatures) * outFeatures);
        try
        {
            for (var start = 0; start < inFeatures; start += bandRows)
            {
                var rows = Math.Min(bandRows, inFeatures - start);
                var values = band.AsSpan(0, rows * outFeatures);
                _stored.ReadRows(start, rows, values);
                for (var r = 0; r < rowCount; r++)
                {
                    var column = (int)firstRow + r;
                    var target = destination.Slice((r * inFeatures) + start, rows);
                    for (var c = 0; c < rows; c++)
                        target[c] = values[(c * outFeatures) + column];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(band);
        }
    }
}
