using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Pipeline;

/// <summary>One tensor of the output: a name, a dtype and a shape, and the producer of its bytes.</summary>
public sealed class OutputTensor
{
    /// <exception cref="PipelineException">The producer's rows do not add up to the tensor's byte length.</exception>
    public OutputTensor(string name, DType dtype, ImmutableArray<long> shape, ITensorProducer producer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(producer);
        if (shape.IsDefault)
            throw new ArgumentException("shape is not initialized", nameof(shape));
        var byteLength = TensorInfo.TryComputeByteLength(dtype, shape.AsSpan())
            ?? throw new ArgumentException($"shape [{string.Join(", ", shape)}] of {DTypes.SafetensorsName(dtype)} is negative, overflows or is not whole bytes", nameof(shape));
        long produced = -1;
        if (producer.RowCount >= 0 && producer.RowByteLength >= 0)
        {
            try
            {
                produced = checked(producer.RowCount * producer.RowByteLength);
            }
            catch (OverflowException)
            {
                produced = -1;
            }
        }
        if (produced != byteLength || producer.ScratchBytesPerRow < 0 || producer.ChunkRowMultiple < 1)
        {
            PipelineException.Throw(PipelineError.ProducerMismatch, null, name,
                $"producer '{producer.Description}' makes {producer.RowCount} rows of {producer.RowByteLength} bytes " +
                $"(scratch {producer.ScratchBytesPerRow}, multiple {producer.ChunkRowMultiple}), but {DTypes.SafetensorsName(dtype)} " +
                $"[{string.Join(", ", shape)}] is {byteLength} bytes; this is a bug in the plan");
        }
        Name = name;
        DType = dtype;
        Shape = shape;
        Producer = producer;
        ByteLength = byteLength;
        Info = new TensorInfo(name, dtype, shape, byteLength);
    }

    /// <summary>
    /// A tensor whose element type safetensors cannot name (ggml blocks): described as its bytes, U8 [byte length].
    /// </summary>
    public static OutputTensor OfBytes(string name, ITensorProducer producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return new(name, DType.U8, [checked(producer.RowCount * producer.RowByteLength)], producer);
    }

    public string Name { get; }

    public DType DType { get; }

    public ImmutableArray<long> Shape { get; }

    public ITensorProducer Producer { get; }

    /// <summary>Bytes of data in the output file.</summary>
    public long ByteLength { get; }

    /// <summary>The tensor as a file header describes it.</summary>
    public TensorInfo Info { get; }

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount => Info.ElementCount;
}
