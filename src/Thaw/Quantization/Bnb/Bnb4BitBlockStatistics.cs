using System.Buffers;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The block maxima of one 4-bit weight and, when double-quantized, their 8-bit codes, nested maxima and offset. They
/// need a pass over the whole weight, so the tensors built from them share one computation: it runs when the first
/// of them is produced and is dropped after the last. The arrays (a 16th of the weight's float32 size at blocksize 64)
/// live outside the executor's chunk budget, for the few weights in flight.
/// </summary>
internal sealed class Bnb4BitBlockStatistics
{
    /// <summary>Values read at a time while computing the maxima (a multiple of every blocksize).</summary>
    public const int ReadElements = 1 << 16;

    private readonly ITensorRowSource _source;
    private readonly int _blocksize;
    private readonly bool _doubleQuant;
    private readonly float? _plannedOffset;
    private readonly Lock _lock = new();
    private int _consumersLeft;
    private Result? _result;

    /// <param name="source">The weight's values.</param>
    /// <param name="blocksize">Elements per block.</param>
    /// <param name="doubleQuant">Whether the maxima are quantized too.</param>
    /// <param name="plannedOffset">The offset the plan wrote into the quant state; the run must find the same.</param>
    /// <param name="consumers">How many tensors take the result (it is released after the last).</param>
    public Bnb4BitBlockStatistics(ITensorRowSource source, int blocksize, bool doubleQuant, float? plannedOffset, int consumers)
    {
        _source = source;
        _blocksize = blocksize;
        _doubleQuant = doubleQuant;
        _plannedOffset = plannedOffset;
        _consumersLeft = consumers;
    }

    public long ElementCount => FlatElements.Count(_source);

    public long BlockCount => Bnb4BitQuantizer.BlockCount(ElementCount, _blocksize);

    /// <summary>The block maxima, in float32; <see cref="Codes"/>, <see cref="NestedAbsmax"/> and <see cref="Offset"/> when double-quantized.</summary>
    public sealed record Result(float[] Absmax, byte[] Codes, float[] NestedAbsmax, float Offset);

    /// <summary>
    /// The result for one consumer (computed by the first, released after the last); <paramref name="buffer"/> holds
    /// at least <see cref="ReadElements"/> values or the whole weight.
    /// </summary>
    public Result Take(Span<float> buffer)
    {
        lock (_lock)
        {
            if (_consumersLeft <= 0)
                throw new InvalidOperationException("every consumer of these block statistics has taken them already");
            _result ??= Compute(buffer);
            var result = _result;
            if (--_consumersLeft == 0)
                _result = null;
            return result;
        }
    }

    /// <summary>max |x| of every block of a weight, read in chunks of whole blocks.</summary>
    /// <exception cref="BnbQuantizeException">A value is NaN or infinite.</exception>
    public static float[] ComputeAbsmax(ITensorRowSource source, int blocksize)
    {
        var buffer = ArrayPool<float>.Shared.Rent((int)Math.Min(ReadElements, FlatElements.Count(source)));
        try
        {
            return ComputeAbsmax(source, blocksize, buffer);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static float[] ComputeAbsmax(ITensorRowSource source, int blocksize, Span<float> buffer)
    {
        var elements = FlatElements.Count(source);
        var absmax = new float[Bnb4BitQuantizer.BlockCount(elements, blocksize)];
        var chunk = (int)Math.Min(ReadElements, elements);
        if (buffer.Length < chunk)
            throw new ArgumentException($"the read buffer holds {buffer.Length} values; {chunk} are needed", nameof(buffer));
        for (long first = 0; first < elements; first += chunk)
        {
            var values = buffer[..(int)Math.Min(chunk, elements - first)];
            FlatElements.Read(source, first, values);
            for (var start = 0; start < values.Length; start += blocksize)
            {
                var block = values.Slice(start, Math.Min(blocksize, values.Length - start));
                var max = Bnb4BitQuantizer.MaxAbs(block, SimdWidths.Widest, out var finite);
                if (!finite)
                {
                    BnbQuantizeException.Throw(BnbQuantizeError.NonFiniteValue, null, source.Name,
                        $"block {(first + start) / blocksize} holds NaN or infinity, which have no 4-bit code; fix the weights before quantizing");
                }
                absmax[(first + start) / blocksize] = max;
            }
        }
        return absmax;
    }

    private Result Compute(Span<float> buffer)
    {
        var absmax = ComputeAbsmax(_source, _blocksize, buffer);
        if (!_doubleQuant)
            return new Result(absmax, [], [], 0f);
        var codes = new byte[absmax.Length];
        var nested = new float[BnbDoubleQuantizer.NestedBlockCount(absmax.Length)];
        var offset = BnbDoubleQuantizer.Quantize(absmax, codes, nested);
        if (_plannedOffset is { } planned && BitConverter.SingleToUInt32Bits(planned) != BitConverter.SingleToUInt32Bits(offset))
        {
            throw new InvalidOperationException(
                $"'{_source.Name}' gave nested_offset {offset:R} now but {planned:R} when the plan was made; was the input modified during the run?");
        }
        return new Result(absmax, codes, nested, offset);
    }
}
