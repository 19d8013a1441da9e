using System.Collections.Concurrent;
using Thaw.Pipeline;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// A producer whose byte i of row r is (r * 131 + i * 7 + seed) mod 251: known values without any model. It
/// records every chunk and the memory in flight across all producers sharing one <see cref="MemoryProbe"/>, and can
/// fail on a chosen row.
/// </summary>
internal sealed class PatternProducer(long rowCount, int rowByteLength, int seed = 0) : ITensorProducer
{
    public long RowCount => rowCount;

    public long RowByteLength => rowByteLength;

    public long ScratchBytesPerRow { get; init; }

    public int ChunkRowMultiple { get; init; } = 1;

    public string Description => "test pattern";

    /// <summary>A chunk that contains this row throws.</summary>
    public long? FailAtRow { get; init; }

    public MemoryProbe? Probe { get; init; }

    public ConcurrentBag<(long First, int Count)> Chunks { get; } = [];

    public static byte Expected(long row, long index, int seed) => (byte)((row * 131 + index * 7 + seed) % 251);

    public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
    {
        Probe?.Enter(destination.Length + scratch.Length);
        try
        {
            Chunks.Add((firstRow, rowCount));
            Assert.Equal(rowCount * RowByteLength, destination.Length);
            Assert.Equal(rowCount * ScratchBytesPerRow, scratch.Length);
            if (FailAtRow is { } fail && fail >= firstRow && fail < firstRow + rowCount)
                throw new InvalidOperationException($"test producer fails at row {fail}");
            for (var r = 0; r < rowCount; r++)
            {
                for (var i = 0; i < rowByteLength; i++)
                    destination[r * rowByteLength + i] = Expected(firstRow + r, i, seed);
            }
            // Hold the buffers a moment so that chunks overlap in time.
            Thread.Sleep(1);
        }
        finally
        {
            Probe?.Exit(destination.Length + scratch.Length);
        }
    }
}

/// <summary>The most bytes of chunk buffers producers held at once.</summary>
internal sealed class MemoryProbe
{
    private long _current;
    private long _peak;
    private int _concurrent;
    private int _peakConcurrent;

    public long Peak => Interlocked.Read(ref _peak);

    public int PeakConcurrency => Volatile.Read(ref _peakConcurrent);

    public void Enter(long bytes)
    {
        var now = Interlocked.Add(ref _current, bytes);
        var concurrent = Interlocked.Increment(ref _concurrent);
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
        {
        }
        int seenConcurrent;
        while (concurrent > (seenConcurrent = Volatile.Read(ref _peakConcurrent))
               && Interlocked.CompareExchange(ref _peakConcurrent, concurrent, seenConcurrent) != seenConcurrent)
        {
        }
    }

    public void Exit(long bytes)
    {
        Interlocked.Add(ref _current, -bytes);
        Interlocked.Decrement(ref _concurrent);
    }
}

/// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the callback inline.</summary>
internal sealed class SynchronousProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
{
    public void Report(PipelineProgress value) => report(value);
}
