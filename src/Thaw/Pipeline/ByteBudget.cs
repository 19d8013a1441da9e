namespace Thaw.Pipeline;

/// <summary>A pool of bytes that workers take before allocating a buffer and give back after: bounds memory in flight.</summary>
internal sealed class ByteBudget
{
    private readonly object _lock = new();
    private long _available;

    public ByteBudget(long capacity)
    {
        _available = capacity;
    }

    /// <summary>Waits until <paramref name="bytes"/> (at most the capacity) are available and takes them.</summary>
    public void Acquire(long bytes, CancellationToken cancellationToken)
    {
        using var wake = cancellationToken.Register(() =>
        {
            lock (_lock)
                Monitor.PulseAll(_lock);
        });
        lock (_lock)
        {
            while (_available < bytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Monitor.Wait(_lock);
            }
            cancellationToken.ThrowIfCancellationRequested();
            _available -= bytes;
        }
    }

    public void Release(long bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            Monitor.PulseAll(_lock);
        }
    }
}
