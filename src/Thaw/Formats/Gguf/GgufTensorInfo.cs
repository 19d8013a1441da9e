using System.Collections.Immutable;

namespace Thaw.Formats.Gguf;

/// <summary>
/// One tensor of a GGUF file. <see cref="Dimensions"/> are ggml's <c>ne</c>: ne[0] is the innermost (contiguous)
/// dimension, so they are the PyTorch shape reversed (<see cref="Shape"/>). <see cref="Offset"/> is relative to
/// the start of the data section; <see cref="ByteLength"/> excludes the alignment padding.
/// </summary>
public sealed record GgufTensorInfo(string Name, ImmutableArray<long> Dimensions, GgmlType Type, long Offset, long ByteLength)
{
    /// <summary>Product of the dimensions.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions)
                n *= d;
            return n;
        }
    }

    /// <summary>The PyTorch (row-major, outermost first) shape: <see cref="Dimensions"/> reversed.</summary>
    public ImmutableArray<long> Shape => [.. Dimensions.Reverse()];

    /// <summary>Elements per row: ne[0] (1 for a 0-dimensional tensor).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Rows: the product of ne[1..].</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    /// <summary>Bytes per row.</summary>
    public long RowByteLength => GgmlTypes.RowByteLength(Type, RowLength) ?? 0;

    /// <summary>"[32, 32000]" (ggml order, as gguf-py and llama.cpp print it).</summary>
    public string DimensionsText => "[" + string.Join(", ", Dimensions) + "]";
}
