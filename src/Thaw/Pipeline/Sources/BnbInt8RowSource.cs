using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Pipeline.Sources;

/// <summary>
/// A bitsandbytes LLM.int8 weight decoded in row chunks as bitsandbytes does; each read fetches only the codes and
/// SCB values of the rows asked for. The weight_format, when stored, is checked at construction.
/// </summary>
public sealed class BnbInt8RowSource : ITensorRowSource
{
    /// <summary>Codes read at a time (64 KiB).</summary>
    private const int ChunkElements = 1 << 16;

    private readonly BnbInt8Tensor _tensor;

    /// <exception cref="BnbFormatException">weight_format is not 0 (row-major).</exception>
    public BnbInt8RowSource(BnbInt8Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _tensor = tensor;
        RowCount = tensor.Shape[0];
        RowLength = tensor.Shape[1];
        if (tensor.WeightFormat is { } format)
        {
            Span<byte> value = stackalloc byte[1];
            format.File.ReadBytes(format.Info, 0, value);
            BnbStoredValues.RequireRowMajor(value[0], format.FilePath, format.Name);
        }
    }

    public string Name => _tensor.Name;

    public ImmutableArray<long> Shape => _tensor.Shape;

    public long RowCount { get; }

    public long RowLength { get; }

    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        var count = RowSourceArguments.Validate(this, firstRow, rowCount, destination);
        if (count == 0)
            return;
        var weight = _tensor.Weight;
        var scb = _tensor.Scb;
        var codeBuffer = ArrayPool<byte>.Shared.Rent(Math.Min(count, ChunkElements));
        var scaleBytes = ArrayPool<byte>.Shared.Rent((Math.Min(count, ChunkElements) / (int)RowLength + 2) * sizeof(float));
        var scaleBuffer = ArrayPool<float>.Shared.Rent(Math.Min(count, ChunkElements) / (int)RowLength + 2);
        try
        {
            var start = firstRow * RowLength;
            for (var done = 0; done < count;)
            {
                // A chunk may cut rows anywhere: each piece of a row is decoded with that row's scale.
                var n = Math.Min(count - done, ChunkElements);
                var first = start + done;
                var end = first + n;
                var codes = codeBuffer.AsSpan(0, n);
                weight.File.ReadBytes(weight.Info, first, codes);

                var firstRowOfChunk = first / RowLength;
                var rows = (int)((end - 1) / RowLength - firstRowOfChunk + 1);
                var bytes = scaleBytes.AsSpan(0, rows * sizeof(float));
                scb.File.ReadBytes(scb.Info, firstRowOfChunk * sizeof(float), bytes);
                var scales = scaleBuffer.AsSpan(0, rows);
                FloatConversions.ToSingle(DType.F32, bytes, scales);
                BnbStoredValues.RequireFinite(scales, firstRowOfChunk, scb.FilePath, scb.Name);

                for (var r = 0; r < rows; r++)
                {
                    var rowStart = (firstRowOfChunk + r) * RowLength;
                    var from = Math.Max(first, rowStart);
                    var to = Math.Min(end, rowStart + RowLength);
                    var at = (int)(from - first);
                    BnbInt8Dequantizer.Dequantize(
                        MemoryMarshal.Cast<byte, sbyte>(codes.Slice(at, (int)(to - from))), scales.Slice(r, 1), destination.Slice(done + at, (int)(to - from)));
                }
                done += n;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scaleBuffer);
            ArrayPool<byte>.Shared.Return(scaleBytes);
            ArrayPool<byte>.Shared.Return(codeBuffer);
        }
    }
}
