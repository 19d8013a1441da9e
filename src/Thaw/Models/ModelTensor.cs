using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// A tensor of the model as the model sees it: a plain weight, or a quantized weight together with the auxiliary
/// tensors that decode it, reported with its real (decoded) shape and dtype.
/// </summary>
public abstract class ModelTensor
{
    private protected ModelTensor(string name, ImmutableArray<long> shape, DType dtype)
    {
        Name = name;
        Shape = shape;
        DType = dtype;
        long n = 1;
        foreach (var d in shape)
            n = checked(n * d);
        ElementCount = n;
    }

    /// <summary>The parameter name ("model.layers.0.self_attn.q_proj.weight").</summary>
    public string Name { get; }

    /// <summary>The logical shape (for quantized weights: the shape before quantization).</summary>
    public ImmutableArray<long> Shape { get; }

    /// <summary>The dtype of the values: stored dtype for plain tensors, the dequantized dtype for quantized ones.</summary>
    public DType DType { get; }

    /// <summary>Number of logical elements (parameters).</summary>
    public long ElementCount { get; }

    /// <summary>"[32000, 32]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public abstract ModelTensorKind Kind { get; }

    /// <summary>Every stored tensor this logical tensor is made of, the main one first.</summary>
    public abstract IReadOnlyList<StoredTensor> StoredParts { get; }

    /// <summary>Total bytes stored for this tensor, auxiliary tensors included.</summary>
    public long StoredByteLength => StoredParts.Sum(p => p.Info.ByteLength);
}
