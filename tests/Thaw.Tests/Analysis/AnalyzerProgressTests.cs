using Thaw.Analysis;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Quantization.Bnb;

namespace Thaw.Tests.Analysis;

/// <summary>thaw analyze reports progress per module (for the bar) and stops when cancelled.</summary>
public class AnalyzerProgressTests
{
    [Fact]
    public void ProgressCountsEveryModuleAndItsBytesOnce()
    {
        using var a1 = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        var reports = new List<PipelineProgress>();
        var analysis = ModelAnalyzer.Analyze(a1, new AnalysisSettings(BnbQuantType.Nf4, 64, DoubleQuant: true), null, threads: 3, new Recorder(reports));
        Assert.Equal(analysis.Modules.Count + 1, reports.Count);
        Assert.Equal((0, 14, 0L), (reports[0].TensorsDone, reports[0].TensorCount, reports[0].BytesDone));
        Assert.Equal(Enumerable.Range(0, 15), reports.Select(r => r.TensorsDone));
        Assert.Equal(analysis.Modules.Sum(m => m.SixteenBitBytes), reports[^1].BytesDone);
        Assert.Equal(reports[^1].TotalBytes, reports[^1].BytesDone);
    }

    [Fact]
    public void ACancelledAnalysisStops()
    {
        using var a1 = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelAnalyzer.Analyze(a1, new AnalysisSettings(), null, 1, null, cancelled.Token));
    }

    // Records synchronously (Progress<T> would post to the thread pool).
    private sealed class Recorder(List<PipelineProgress> reports) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => reports.Add(value);
    }
}
