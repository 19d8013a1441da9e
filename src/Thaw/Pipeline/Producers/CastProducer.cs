using System.Runtime.InteropServices;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Producers;

/// <summary>
/// A logical tensor's float32 rows (a stored tensor widened, a quantized weight decoded, a merge's result) rounded
/// once, to nearest even, to a 16- or 32-bit float dtype. With a non-finite handler, every output value is checked
/// and the first row holding NaN or ±Inf in the output dtype (a value beyond its range included) goes to the handler.
/// </summary>
public sealed class CastProducer : ITensorProducer
{
    private readonly ITensorRowSource _source;
    private readonly DType _dtype;
    private readonly Action<long>? _onNonFinite;

    /// <param name="source">The values.</param>
    /// <param name="dtype">F32, F16 or BF16.</param>
    /// <param name="description">What the producer does, for plans ("dequantize nf4 → BF16").</param>
    /// <param name="onNonFinite">Called with the row of the first non-finite output value (it should throw); null to not check.</param>
    public CastProducer(ITensorRowSource source, DType dtype, string description, Action<long>? onNonFinite = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(description);
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "values are written as F32, F16 or BF16");
        _source = source;
        _dtype = dtype;
        _onNonFinite = onNonFinite;
        Description = description;
        RowCount = source.RowCount;
        RowByteLength = checked(source.RowLength * DTypes.ByteSize(dtype));
        // float32 output is decoded straight into the destination; narrower outputs go through a float32 row.
        ScratchBytesPerRow = dtype == DType.F32 ? 0 : checked(source.RowLength * sizeof(float));
    }

    public long RowCount { get; }

    public long RowByteLength { get; }

    public long ScratchBytesPerRow { get; }

    public int ChunkRowMultiple => 1;

    public string Description { get; }

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, rowCount * RowByteLength, nameof(destination));
        if (_dtype == DType.F32)
        {
            _source.ReadRows(firstRow, rowCount, MemoryMarshal.Cast<byte, float>(destination));
        }
        else
        {
            var values = MemoryMarshal.Cast<byte, float>(scratch[..checked((int)(rowCount * ScratchBytesPerRow))]);
            _source.ReadRows(firstRow, rowCount, values);
            FloatConversions.FromSingle(values, _dtype, destination);
        }
        if (_onNonFinite is not null && NonFiniteValues.IndexOf(destination, _dtype) is var index and >= 0)
            _onNonFinite(firstRow + index / Math.Max(1, _source.RowLength));
    }
}
