using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>The executor on synthetic producers: chunking, memory bound, parallelism, progress and the bytes written.</summary>
public sealed class ExecutorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private PipelinePlan Plan(PipelineOptions options, params OutputTensor[] tensors) =>
        PipelinePlan.Create(_temp.File("out"), tensors, [], [], options);

    private static OutputTensor Tensor(string name, PatternProducer producer) =>
        new(name, DType.U8, [producer.RowCount, producer.RowByteLength], producer);

    [Fact]
    public void EveryByteLandsAtItsOffset()
    {
        var producers = new[] { new PatternProducer(300, 24, seed: 1), new PatternProducer(7, 5, seed: 2), new PatternProducer(1000, 3, seed: 3) };
        var plan = Plan(new PipelineOptions { MaxMemory = 512, Threads = 3 }, [.. producers.Select((p, i) => Tensor($"t{i}", p))]);
        HfFolderOutput.Write(plan);

        using var file = SafetensorsFile.Open(Path.Combine(plan.OutputPath, "model.safetensors"));
        for (var i = 0; i < producers.Length; i++)
        {
            Assert.True(file.TryGetTensor($"t{i}", out var info));
            var bytes = file.ReadAll(info);
            var rowBytes = (int)producers[i].RowByteLength;
            for (var b = 0; b < bytes.Length; b++)
                Assert.Equal(PatternProducer.Expected(b / rowBytes, b % rowBytes, i + 1), bytes[b]);
        }
    }

    [Fact]
    public void ChunksRespectTheRowMultipleAndCoverEveryRowOnce()
    {
        var producer = new PatternProducer(1001, 8) { ChunkRowMultiple = 7, ScratchBytesPerRow = 8 };
        var plan = Plan(new PipelineOptions { MaxMemory = 1024, Threads = 2 }, Tensor("t", producer));
        var planned = plan.Tensors.Single();
        Assert.Equal(0, planned.RowsPerChunk % 7);
        HfFolderOutput.Write(plan);

        var chunks = producer.Chunks.OrderBy(c => c.First).ToList();
        Assert.Equal(planned.ChunkCount, chunks.Count);
        long next = 0;
        foreach (var (first, count) in chunks)
        {
            Assert.Equal(next, first);
            Assert.Equal(0, first % 7);
            Assert.True(count % 7 == 0 || first + count == 1001);
            next = first + count;
        }
        Assert.Equal(1001, next);
    }

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(4, 4096)]
    [InlineData(4, 1000)]
    [InlineData(8, 300)]
    public void MemoryInFlightStaysWithinTheLimit(int threads, long maxMemory)
    {
        var probe = new MemoryProbe();
        var tensors = Enumerable.Range(0, 4)
            .Select(i => Tensor($"t{i}", new PatternProducer(200, 16, i) { ScratchBytesPerRow = 16, Probe = probe }))
            .ToArray();
        var plan = Plan(new PipelineOptions { MaxMemory = maxMemory, Threads = threads }, tensors);
        Assert.True(plan.MemoryBound <= maxMemory);
        HfFolderOutput.Write(plan);
        Assert.True(probe.Peak <= maxMemory, $"peak {probe.Peak} > {maxMemory}");
        Assert.True(probe.PeakConcurrency <= threads);
    }

    [Fact]
    public void WorkersRunInParallel()
    {
        // Every chunk waits (up to 10 s) until another one is in flight: with one worker none would ever see it.
        var producer = new RendezvousProducer();
        var plan = Plan(new PipelineOptions { MaxMemory = 512, Threads = 2 }, new OutputTensor("t", DType.U8, [8, 64], producer));
        Assert.Equal(2, plan.Tensors[0].ChunkCount);
        HfFolderOutput.Write(plan);
        Assert.True(producer.Met, "no two chunks were ever in flight together");
    }

    [Fact]
    public void AChunkThatCannotFitTheMemoryLimitIsRefusedAtPlanTime()
    {
        var producer = new PatternProducer(10, 100) { ScratchBytesPerRow = 100 };
        var error = Assert.Throws<PipelineException>(() => Plan(new PipelineOptions { MaxMemory = 255 }, Tensor("wide", producer)));
        Assert.Equal(PipelineError.MemoryLimitTooSmall, error.Reason);
        Assert.Equal("wide", error.TensorName);
        // 200 bytes a row rent a 256-byte buffer: exactly enough.
        Assert.Equal(1, Plan(new PipelineOptions { MaxMemory = 256 }, Tensor("wide", producer)).Tensors[0].RowsPerChunk);
    }

    [Fact]
    public void ProgressCountsEveryTensorAndByteInOrder()
    {
        var reports = new List<PipelineProgress>();
        var plan = Plan(new PipelineOptions { MaxMemory = 1024, Threads = 4 },
            Tensor("a", new PatternProducer(100, 10)), Tensor("empty", new PatternProducer(0, 10)), Tensor("b", new PatternProducer(50, 3)));
        HfFolderOutput.Write(plan, new SynchronousProgress(reports.Add));

        Assert.Equal(new PipelineProgress(1, 3, 0, 1150, null), reports[0]);
        Assert.Equal(3, reports[^1].TensorsDone);
        Assert.Equal(1150, reports[^1].BytesDone);
        for (var i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].BytesDone > reports[i - 1].BytesDone);
            Assert.True(reports[i].TensorsDone >= reports[i - 1].TensorsDone);
            Assert.Contains(reports[i].CurrentTensor, new[] { "a", "b" });
        }
    }

    [Fact]
    public void PlanDescribesFilesSizesMemoryAndEveryTensor()
    {
        var plan = Plan(new PipelineOptions { MaxMemory = 1 << 20, Threads = 2, MaxShardSize = 1500, FreeSpaceProbe = _ => 1L << 40 },
            Tensor("a", new PatternProducer(100, 10)), Tensor("b", new PatternProducer(100, 10)));
        var text = plan.Describe();
        Assert.Contains("model-00001-of-00002.safetensors", text, StringComparison.Ordinal);
        Assert.Contains(SafetensorsIndex.FileName, text, StringComparison.Ordinal);
        Assert.Contains("2 threads", text, StringComparison.Ordinal);
        Assert.Contains("2 chunks", text, StringComparison.Ordinal);
        Assert.Contains("  b  [100, 10]  test pattern  -> model-00002-of-00002.safetensors", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT ENOUGH", text, StringComparison.Ordinal);
        Assert.Equal(2000, plan.TensorBytes);
        Assert.Equal(2000, plan.ParameterCount);
    }

    private sealed class RendezvousProducer : ITensorProducer
    {
        private int _inFlight;

        public bool Met { get; private set; }

        public long RowCount => 8;

        public long RowByteLength => 64;

        public long ScratchBytesPerRow => 0;

        public int ChunkRowMultiple => 4;

        public string Description => "rendezvous";

        public void Produce(long firstRow, int rowCount, Span<byte> destination, Span<byte> scratch)
        {
            Interlocked.Increment(ref _inFlight);
            if (SpinWait.SpinUntil(() => Volatile.Read(ref _inFlight) >= 2, TimeSpan.FromSeconds(10)))
                Met = true;
            destination.Clear();
        }
    }
}
