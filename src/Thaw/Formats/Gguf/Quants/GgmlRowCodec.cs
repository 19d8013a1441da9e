namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// Converts rows of float32 to one ggml tensor type and back, byte-identical to ggml's reference functions
/// (<c>quantize_row_*_ref</c>, <c>dequantize_row_*</c>; the rounding rules are those of the GGUF spec, section 5).
/// A row is a whole number of blocks; each call converts <c>row.Length / BlockSize</c> blocks. Instances are
/// stateless and thread-safe. Get one from <see cref="GgmlRowCodecs.For"/>.
/// </summary>
public abstract class GgmlRowCodec
{
    private protected GgmlRowCodec(GgmlType type)
    {
        Type = type;
        BlockSize = GgmlTypes.BlockSize(type);
        BlockBytes = GgmlTypes.TypeSize(type);
    }

    /// <summary>The ggml type this codec writes and reads.</summary>
    public GgmlType Type { get; }

    /// <summary>Elements per block.</summary>
    public int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    public int BlockBytes { get; }

    /// <summary>Bytes of a row of <paramref name="elements"/> elements (a multiple of <see cref="BlockSize"/>).</summary>
    public int RowByteLength(int elements)
    {
        CheckRow(elements);
        return elements / BlockSize * BlockBytes;
    }

    /// <summary>Encodes <paramref name="row"/> into <paramref name="destination"/>, which must be exactly
    /// <see cref="RowByteLength"/> bytes.</summary>
    public void Quantize(ReadOnlySpan<float> row, Span<byte> destination)
    {
        CheckSizes(row.Length, destination.Length, nameof(destination));
        QuantizeBlocks(row, destination);
    }

    /// <summary>Decodes <paramref name="source"/> (exactly <see cref="RowByteLength"/> bytes) into <paramref name="row"/>.</summary>
    public void Dequantize(ReadOnlySpan<byte> source, Span<float> row)
    {
        CheckSizes(row.Length, source.Length, nameof(source));
        DequantizeBlocks(source, row);
    }

    private protected abstract void QuantizeBlocks(ReadOnlySpan<float> row, Span<byte> destination);

    private protected abstract void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> row);

    private void CheckSizes(int elements, int bytes, string bytesName)
    {
        CheckRow(elements);
        var expected = elements / BlockSize * BlockBytes;
        if (bytes != expected)
        {
            throw new ArgumentException(
                $"a {GgmlTypes.Name(Type)} row of {elements} elements takes {expected} bytes, not {bytes}", bytesName);
        }
    }

    private void CheckRow(int elements)
    {
        if (elements < 0 || elements % BlockSize != 0)
        {
            throw new ArgumentException(
                $"a {GgmlTypes.Name(Type)} row must be a whole number of {BlockSize}-element blocks; {elements} elements is not", "row");
        }
    }
}
