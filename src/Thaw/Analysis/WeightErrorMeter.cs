using System.Buffers;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;

namespace Thaw.Analysis;

/// <summary>
/// Measures <see cref="WeightError"/> of one weight with the quantizer that ships. Pass 1 reads the weight for its block
/// maxima and moments; the maxima are then double-quantized as the checkpoint stores them. Pass 2 computes the codes
/// as bitsandbytes does (from the float32 maxima) and dequantizes them with the stored maxima, comparing with the
/// original values. Both passes stream in chunks of whole blocks; memory is the maxima (1/16 of the float32 weight at
/// blocksize 64) plus one chunk.
/// </summary>
public static class WeightErrorMeter
{
    private const int ChunkElements = Bnb4BitBlockStatistics.ReadElements;
    private const double OutlierSigmas = 6;

    /// <param name="source">The weight as nn.Linear holds it ([out, in]).</param>
    /// <param name="settings">The quantizer.</param>
    /// <param name="importance">One importance per input column (imatrix), or null.</param>
    /// <exception cref="BnbQuantizeException">A value is NaN or infinite.</exception>
    public static WeightError Measure(ITensorRowSource source, AnalysisSettings settings, ReadOnlySpan<float> importance = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(settings);
        var elements = FlatElements.Count(source);
        var columns = checked((int)source.RowLength);
        if (!importance.IsEmpty && importance.Length != columns)
            throw new ArgumentException($"{importance.Length} importances for {columns} input columns", nameof(importance));
        var blocksize = settings.Blocksize;
        var chunk = (int)Math.Min(ChunkElements, elements);
        var buffer = ArrayPool<float>.Shared.Rent(Math.Max(chunk, 1));
        var decoded = ArrayPool<float>.Shared.Rent(Math.Max(chunk, 1));
        var packed = ArrayPool<byte>.Shared.Rent(Math.Max(chunk / 2 + 1, 1));
        var chunkAbsmax = ArrayPool<float>.Shared.Rent(Math.Max(chunk / blocksize + 1, 1));
        try
        {
            // Pass 1: block maxima, sum and sum of squares.
            var absmax = new float[Bnb4BitQuantizer.BlockCount(elements, blocksize)];
            double sum = 0, sumSquares = 0, maxAbs = 0;
            for (long first = 0; first < elements; first += chunk)
            {
                var values = buffer.AsSpan(0, (int)Math.Min(chunk, elements - first));
                FlatElements.Read(source, first, values);
                for (var start = 0; start < values.Length; start += blocksize)
                {
                    var block = values.Slice(start, Math.Min(blocksize, values.Length - start));
                    var max = Bnb4BitQuantizer.MaxAbs(block, Tensors.SimdWidths.Widest, out var finite);
                    if (!finite)
                        BnbQuantizeException.Throw(BnbQuantizeError.NonFiniteValue, null, source.Name,
                            $"block {(first + start) / blocksize} holds NaN or infinity, which have no 4-bit code; fix the weights before analyzing");
                    absmax[(first + start) / blocksize] = max;
                    maxAbs = Math.Max(maxAbs, max);
                }
                foreach (var x in values)
                {
                    sum += x;
                    sumSquares += (double)x * x;
                }
            }
            var stored = StoredAbsmax(absmax, settings.DoubleQuant);
            var mean = elements == 0 ? 0 : sum / elements;
            var variance = elements == 0 ? 0 : Math.Max(sumSquares / elements - mean * mean, 0);
            var sigma = Math.Sqrt(variance);

            // Pass 2: codes from the float32 maxima (as quantize_4bit does), decoded with the stored maxima.
            var sums = default(ErrorSums);
            var columnError = importance.IsEmpty ? null : new double[columns];
            var columnWeight = importance.IsEmpty ? null : new double[columns];
            for (long first = 0; first < elements; first += chunk)
            {
                var count = (int)Math.Min(chunk, elements - first);
                var values = buffer.AsSpan(0, count);
                FlatElements.Read(source, first, values);
                var blocks = (int)Bnb4BitQuantizer.BlockCount(count, blocksize);
                var codes = packed.AsSpan(0, (int)Bnb4BitQuantizer.PackedLength(count));
                Bnb4BitQuantizer.Quantize(values, settings.QuantType, blocksize, codes, chunkAbsmax.AsSpan(0, blocks), source.Name);
                var result = decoded.AsSpan(0, count);
                Bnb4BitDequantizer.Dequantize(settings.QuantType, blocksize, 0, codes, stored.AsSpan((int)(first / blocksize), blocks), result);
                // A constant weight (σ = 0) has no outliers.
                sums.Add(values, result, mean, sigma > 0 ? OutlierSigmas * sigma : double.PositiveInfinity);
                if (columnError is not null)
                    AddColumns(values, result, (int)(first % columns), columnError, columnWeight!);
            }

            double? weighted = null;
            if (columnError is not null)
            {
                double numerator = 0, denominator = 0;
                for (var j = 0; j < columns; j++)
                {
                    numerator += importance[j] * columnError[j];
                    denominator += importance[j] * columnWeight![j];
                }
                weighted = denominator > 0 ? Math.Sqrt(numerator / denominator) : 0;
            }
            var m2 = elements == 0 ? 0 : sums.Central2 / elements;
            var kurtosis = m2 > 0 ? sums.Central4 / elements / (m2 * m2) - 3 : 0;
            return new WeightError(
                elements,
                sumSquares > 0 ? Math.Sqrt(sums.SquaredError / sumSquares) : 0,
                sums.MaxError,
                sums.SquaredError,
                maxAbs,
                elements == 0 ? 0 : Math.Sqrt(sumSquares / elements),
                kurtosis,
                elements == 0 ? 0 : (double)sums.Outliers / elements,
                weighted);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(decoded);
            ArrayPool<byte>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(chunkAbsmax);
        }
    }

    // Per input column: Σ (deq − w)² and Σ w², for the imatrix-weighted error.
    private static void AddColumns(ReadOnlySpan<float> values, ReadOnlySpan<float> decoded, int column, double[] columnError, double[] columnWeight)
    {
        for (var i = 0; i < values.Length; i++)
        {
            double x = values[i];
            var delta = decoded[i] - x;
            columnError[column] += delta * delta;
            columnWeight[column] += x * x;
            if (++column == columnError.Length)
                column = 0;
        }
    }

    // The maxima the checkpoint stores, as dequantization sees them: float32, or rebuilt from their 8-bit codes.
    private static float[] StoredAbsmax(float[] absmax, bool doubleQuant)
    {
        if (!doubleQuant || absmax.Length == 0)
            return absmax;
        var codes = new byte[absmax.Length];
        var nested = new float[BnbDoubleQuantizer.NestedBlockCount(absmax.Length)];
        var offset = BnbDoubleQuantizer.Quantize(absmax, codes, nested);
        var rebuilt = new float[absmax.Length];
        BnbDoubleQuant.DequantizeAbsmax(codes, 0, DynamicMap.Table, nested, BnbDoubleQuantizer.NestedBlocksize, offset, rebuilt);
        return rebuilt;
    }
}
