using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Thaw.Formats;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Pipeline.Sources;

/// <summary>
/// A bitsandbytes 4-bit weight decoded in row chunks, bit-exact with bitsandbytes' CUDA dequantization. Each read
/// fetches only the packed bytes and block maxima of the rows asked for; the small tables (quant_map, the nested
/// code table and nested maxima of double quantization) are read and checked once, at construction.
/// </summary>
public sealed class Bnb4BitRowSource : ITensorRowSource
{
    /// <summary>Elements decoded per read of packed bytes and maxima (32 KiB of codes).</summary>
    private const int ChunkElements = 1 << 16;

    private readonly Bnb4BitTensor _tensor;
    private readonly float[]? _nestedQuantMap;
    private readonly float[]? _nestedAbsmax;

    /// <exception cref="BnbFormatException">quant_map is not bitsandbytes' table, or a nested table or maximum is not finite.</exception>
    public Bnb4BitRowSource(Bnb4BitTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _tensor = tensor;
        RowCount = tensor.Shape.Length == 0 ? 1 : tensor.Shape[0];
        RowLength = RowCount == 0 ? 0 : tensor.ElementCount / RowCount;

        var quantMap = tensor.QuantMap;
        Bnb4BitCodes.CheckStoredQuantMap(ReadSmall(quantMap), tensor.QuantType, quantMap.FilePath, quantMap.Name);
        if (tensor.IsDoubleQuant)
        {
            _nestedQuantMap = ReadFinite(tensor.NestedQuantMap!);
            _nestedAbsmax = ReadFinite(tensor.NestedAbsmax!);
        }
    }

    public string Name => _tensor.Name;

    public ImmutableArray<long> Shape => _tensor.Shape;

    public long RowCount { get; }

    public long RowLength { get; }

    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        var count = RowSourceArguments.Validate(this, firstRow, rowCount, destination);
        Decode(firstRow * RowLength, count, DType.F32, MemoryMarshal.AsBytes(destination));
    }

    /// <summary>
    /// Writes rows [firstRow, firstRow + rowCount) as little-endian <paramref name="dtype"/> values (F32, BF16 or F16),
    /// each float32 product rounded once, as bitsandbytes' dequantize_4bit does for that output dtype.
    /// </summary>
    public void ReadRows(long firstRow, int rowCount, DType dtype, Span<byte> destination)
    {
        if (dtype is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"4-bit weights decode to F32, BF16 or F16, not {DTypes.SafetensorsName(dtype)}", nameof(dtype));
        var size = DTypes.ByteSize(dtype);
        if (destination.Length % size != 0)
            throw new ArgumentException($"destination holds {destination.Length} bytes, not whole {DTypes.SafetensorsName(dtype)} values", nameof(destination));
        var count = RowSourceArguments.Validate(this, firstRow, rowCount, destination.Length / size);
        Decode(firstRow * RowLength, count, dtype, destination);
    }

    private void Decode(long start, int count, DType dtype, Span<byte> destination)
    {
        var size = DTypes.ByteSize(dtype);
        var blocksize = _tensor.Blocksize;
        var maxBlocks = ChunkElements / blocksize + 2;
        var packedBuffer = ArrayPool<byte>.Shared.Rent(ChunkElements / 2 + 1);
        var absmaxBytes = ArrayPool<byte>.Shared.Rent(maxBlocks * sizeof(float));
        var absmaxBuffer = ArrayPool<float>.Shared.Rent(maxBlocks);
        try
        {
            for (var done = 0; done < count;)
            {
                var n = Math.Min(count - done, ChunkElements);
                var first = start + done;
                var end = first + n;
                var packed = packedBuffer.AsSpan(0, (int)((end + 1) / 2 - first / 2));
                _tensor.Weight.File.ReadBytes(_tensor.Weight.Info, first / 2, packed);

                var firstBlock = first / blocksize;
                var absmax = absmaxBuffer.AsSpan(0, (int)((end - 1) / blocksize - firstBlock + 1));
                ReadAbsmax(firstBlock, absmax, absmaxBytes);

                Bnb4BitDequantizer.Dequantize(_tensor.QuantType, blocksize, first, packed, absmax, dtype, destination.Slice(done * size, n * size));
                done += n;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(absmaxBuffer);
            ArrayPool<byte>.Shared.Return(absmaxBytes);
            ArrayPool<byte>.Shared.Return(packedBuffer);
        }
    }

    /// <summary>Block maxima [firstBlock, firstBlock + absmax.Length): stored float32, or rebuilt from their 8-bit codes.</summary>
    private void ReadAbsmax(long firstBlock, Span<float> absmax, byte[] scratch)
    {
        var stored = _tensor.Absmax;
        if (_tensor.QuantState.Nested is { } nested)
        {
            var codes = scratch.AsSpan(0, absmax.Length);
            stored.File.ReadBytes(stored.Info, firstBlock, codes);
            BnbDoubleQuant.DequantizeAbsmax(codes, firstBlock, _nestedQuantMap, _nestedAbsmax, nested.Blocksize, nested.Offset, absmax);
        }
        else
        {
            var bytes = scratch.AsSpan(0, absmax.Length * sizeof(float));
            stored.File.ReadBytes(stored.Info, firstBlock * sizeof(float), bytes);
            FloatConversions.ToSingle(DType.F32, bytes, absmax);
        }
        BnbStoredValues.RequireFinite(absmax, firstBlock, stored.FilePath, stored.Name);
    }

    /// <summary>A small auxiliary tensor (sizes already checked by <see cref="BnbStoredLayout"/>) as float32.</summary>
    private static float[] ReadSmall(StoredTensor tensor)
    {
        var values = new float[tensor.Info.ElementCount];
        FloatConversions.ToSingle(tensor.Info.DType, tensor.File.ReadAll(tensor.Info), values);
        return values;
    }

    private static float[] ReadFinite(StoredTensor tensor)
    {
        var values = ReadSmall(tensor);
        BnbStoredValues.RequireFinite(values, 0, tensor.FilePath, tensor.Name);
        return values;
    }
}
