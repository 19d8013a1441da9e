using System.Collections.Immutable;

namespace Thaw.Pipeline.Sources;

/// <summary>
/// The values of one logical tensor, read in row chunks as float32: a plain stored tensor converted exactly, or a
/// quantized weight decoded. A row is everything after the first dimension (a 1-D tensor has rows of one value).
/// Reads are independent and thread-safe, so workers can decode different chunks of one tensor in parallel.
/// </summary>
public interface ITensorRowSource
{
    /// <summary>The tensor's name in the model.</summary>
    string Name { get; }

    /// <summary>The logical shape (for a quantized weight, the shape before quantization).</summary>
    ImmutableArray<long> Shape { get; }

    /// <summary>The first dimension (1 for a scalar).</summary>
    long RowCount { get; }

    /// <summary>Elements per row: the product of the other dimensions (1 for 1-D tensors and scalars).</summary>
    long RowLength { get; }

    /// <summary>
    /// Writes rows [firstRow, firstRow + rowCount) as float32 into <paramref name="destination"/>, which must hold
    /// exactly rowCount × RowLength values. Every value is exact: float32 holds all inputs Thaw reads (f16, bf16, f8)
    /// exactly, and quantized weights decode to float32 the way bitsandbytes computes them.
    /// </summary>
    void ReadRows(long firstRow, int rowCount, Span<float> destination);
}
