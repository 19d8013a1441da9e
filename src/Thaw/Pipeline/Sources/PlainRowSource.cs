using System.Buffers;
using System.Collections.Immutable;
using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Pipeline.Sources;

/// <summary>A stored floating-point tensor read in row chunks and widened to float32 (exact).</summary>
public sealed class PlainRowSource : ITensorRowSource
{
    private const int ReadChunkBytes = 1 << 20;

    private readonly StoredTensor stored;
    private readonly int elementSize;

    public PlainRowSource(PlainTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        stored = tensor.Stored;
        var dtype = stored.Info.DType;
        if (!FloatConversions.CanConvert(dtype, DType.F32))
            throw new TensorException(TensorErrorReason.UnsupportedConversion,
                $"dtype {DTypes.SafetensorsName(dtype)} cannot be read as float32 values; only floating-point tensors can be dequantized or merged",
                stored.FilePath, stored.Name);
        elementSize = DTypes.ByteSize(dtype);
        RowCount = stored.Info.RowCount;
        RowLength = RowCount == 0 ? 0 : stored.Info.ElementCount / RowCount;
    }

    public string Name => stored.Name;

    public ImmutableArray<long> Shape => stored.Info.Shape;

    public long RowCount { get; }

    public long RowLength { get; }

    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        var count = RowSourceArguments.Validate(this, firstRow, rowCount, destination);
        var dtype = stored.Info.DType;
        var maxElements = ReadChunkBytes / elementSize;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(count, maxElements) * elementSize);
        try
        {
            var start = firstRow * RowLength;
            for (long done = 0; done < count;)
            {
                var n = (int)Math.Min(count - done, maxElements);
                var bytes = buffer.AsSpan(0, n * elementSize);
                stored.File.ReadBytes(stored.Info, (start + done) * elementSize, bytes);
                FloatConversions.ToSingle(dtype, bytes, destination.Slice((int)done, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
