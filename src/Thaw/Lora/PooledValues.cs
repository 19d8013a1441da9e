using System.Buffers;

namespace Thaw.Lora;

/// <summary>
/// Float32 values in an array rented from the shared pool, returned on dispose: adapter tensors are read once per
/// module, and renting keeps a merge's memory flat instead of leaving every module's arrays to the collector.
/// </summary>
internal sealed class PooledValues : IDisposable
{
    private float[]? array;

    public PooledValues(long length)
    {
        if (length is < 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(length), length, "a pooled buffer holds at most int.MaxValue values");
        Length = (int)length;
        array = ArrayPool<float>.Shared.Rent(Length);
    }

    public int Length { get; }

    public Span<float> Span => (array ?? throw new ObjectDisposedException(nameof(PooledValues))).AsSpan(0, Length);

    /// <summary>Reads an adapter tensor into a rented buffer.</summary>
    public static PooledValues Read(LoraAdapter adapter, Tensors.TensorInfo tensor)
    {
        var values = new PooledValues(tensor.ElementCount);
        try
        {
            adapter.ReadValues(tensor, values.Span);
            return values;
        }
        catch
        {
            values.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (array is { } rented)
            ArrayPool<float>.Shared.Return(rented);
        array = null;
    }
}
