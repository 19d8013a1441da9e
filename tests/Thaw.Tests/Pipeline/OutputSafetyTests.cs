using System.Collections.Immutable;
using Thaw.IO;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>The reliability rules: nothing partial left behind, no silent overwrite, inputs never clobbered, disk space checked.</summary>
public sealed class OutputSafetyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static OutputTensor Pattern(string name, long rows, int rowBytes, int seed = 0, long? failAtRow = null) =>
        new(name, DType.U8, [rows, rowBytes], new PatternProducer(rows, rowBytes, seed) { FailAtRow = failAtRow });

    private static PipelinePlan PlanOf(string output, IReadOnlyList<OutputTensor> tensors, PipelineOptions? options = null) =>
        PipelinePlan.Create(output, tensors, [CompanionFile.FromBytes("config.json", "{}\n"u8.ToArray())], [],
            options ?? new PipelineOptions { MaxMemory = 4096, Threads = 2, MaxShardSize = 3000 });

    [Fact]
    public void AProducerThatThrowsMidwayLeavesNoOutputAndNoTempFolder()
    {
        var output = _temp.File("out");
        var plan = PlanOf(output, [Pattern("a.weight", 100, 16), Pattern("b.weight", 100, 16, failAtRow: 50), Pattern("c.weight", 100, 16)]);
        Assert.True(plan.Shards.IsSharded);

        var error = Assert.Throws<InvalidOperationException>(() => HfFolderOutput.Write(plan));
        Assert.Contains("row 50", error.Message, StringComparison.Ordinal);
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void CancellingMidwayLeavesNoOutputAndNoTempFolder()
    {
        var output = _temp.File("out");
        var plan = PlanOf(output, [Pattern("a.weight", 400, 16), Pattern("b.weight", 400, 16)], new PipelineOptions { MaxMemory = 256, Threads = 2 });
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.BytesDone > 0)
                cancellation.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() => HfFolderOutput.Write(plan, progress, cancellation.Token));
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void AnExistingOutputIsRefusedWithoutForceAndReplacedWithIt()
    {
        var output = _temp.File("out");
        HfFolderOutput.Write(PlanOf(output, [Pattern("a.weight", 10, 16, seed: 1)]));
        var first = PipelineRuns.ReadFolder(output);

        var refused = Assert.Throws<OutputException>(() => HfFolderOutput.Write(PlanOf(output, [Pattern("a.weight", 10, 16, seed: 2)])));
        Assert.Equal(OutputError.AlreadyExists, refused.Reason);
        Assert.Equal(first, PipelineRuns.ReadFolder(output));

        var force = new PipelineOptions { Force = true };
        HfFolderOutput.Write(PlanOf(output, [Pattern("b.weight", 10, 16, seed: 2)], force));
        var second = PipelineRuns.ReadFolder(output);
        Assert.NotEqual(first["model.safetensors"], second["model.safetensors"]);
        Assert.Equal(["out"], _temp.Entries());
    }

    [Fact]
    public void AFailedForcedRunLeavesTheExistingOutputUntouched()
    {
        var output = _temp.File("out");
        HfFolderOutput.Write(PlanOf(output, [Pattern("a.weight", 10, 16, seed: 1)]));
        var before = PipelineRuns.ReadFolder(output);

        var failing = PlanOf(output, [Pattern("a.weight", 10, 16, seed: 2, failAtRow: 9)], new PipelineOptions { Force = true, MaxMemory = 64, Threads = 1 });
        Assert.Throws<InvalidOperationException>(() => HfFolderOutput.Write(failing));
        Assert.Equal(before, PipelineRuns.ReadFolder(output));
        Assert.Equal(["out"], _temp.Entries());
    }

    [Fact]
    public void OutputInsideTheInputFolderIsRefused()
    {
        var model = PipelineRuns.CopyFolder(Fixtures.Path("A1-llama-bf16"), _temp.File("model"));
        using var opened = HfModel.Open(model);
        foreach (var output in new[] { Path.Combine(model, "dequantized"), model, model + "/", Path.Combine(model, "a", "b") })
        {
            var error = Assert.Throws<PipelineException>(() => Dequantizer.Plan(opened, output, DType.F32, new PipelineOptions { Force = true }));
            Assert.Equal(PipelineError.OutputOverlapsInput, error.Reason);
        }
        Assert.Equal(["model"], _temp.Entries());
    }

    [Fact]
    public void OutputThatContainsTheInputIsRefusedEvenWithForce()
    {
        var model = PipelineRuns.CopyFolder(Fixtures.Path("A1-llama-bf16"), _temp.File("parent/model"));
        using var opened = HfModel.Open(model);
        var error = Assert.Throws<PipelineException>(() => Dequantizer.Plan(opened, _temp.File("parent"), DType.F32, new PipelineOptions { Force = true }));
        Assert.Equal(PipelineError.OutputOverlapsInput, error.Reason);
        Assert.Contains("would delete", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputInsideTheTargetOfASymlinkedInputIsRefused()
    {
        var model = PipelineRuns.CopyFolder(Fixtures.Path("A1-llama-bf16"), _temp.File("real"));
        var link = _temp.File("link");
        Directory.CreateSymbolicLink(link, model);
        using var opened = HfModel.Open(link);
        var error = Assert.Throws<PipelineException>(() => Dequantizer.Plan(opened, Path.Combine(model, "out"), null, new PipelineOptions()));
        Assert.Equal(PipelineError.OutputOverlapsInput, error.Reason);
    }

    [Fact]
    public void TooLittleFreeSpaceIsRefusedBeforeAnythingIsWritten()
    {
        var output = _temp.File("out");
        var tensors = new[] { Pattern("a.weight", 10, 16) };
        var required = PlanOf(output, tensors, new PipelineOptions { FreeSpaceProbe = _ => null }).RequiredFreeBytes;
        string? probed = null;
        var plan = PlanOf(output, tensors, new PipelineOptions
        {
            FreeSpaceProbe = path =>
            {
                probed = path;
                return required - 1;
            },
        });
        Assert.Equal(output, probed);
        Assert.Contains("NOT ENOUGH", plan.Describe(), StringComparison.Ordinal);

        var error = Assert.Throws<PipelineException>(() => HfFolderOutput.Write(plan));
        Assert.Equal(PipelineError.InsufficientDiskSpace, error.Reason);
        Assert.Empty(_temp.Entries());

        HfFolderOutput.Write(PlanOf(output, tensors, new PipelineOptions { FreeSpaceProbe = _ => required }));
        Assert.True(Directory.Exists(output));
    }

    [Fact]
    public void RequiredSpaceCountsEveryFileAndTheMargin()
    {
        var plan = PlanOf(_temp.File("out"), [Pattern("a.weight", 100, 16), Pattern("b.weight", 100, 16)]);
        var summary = HfFolderOutput.Write(plan);
        var written = Directory.EnumerateFiles(plan.OutputPath).Sum(f => new FileInfo(f).Length);
        Assert.Equal(written, plan.OutputBytes);
        Assert.Equal(written, summary.OutputBytes);
        Assert.Equal(written + PipelinePlan.FreeSpaceMargin, plan.RequiredFreeBytes);
    }

    [Fact]
    public void DefaultFreeSpaceProbeLooksAtTheNearestExistingFolder()
    {
        var free = FreeSpace.Available(_temp.File("not/yet/there"));
        Assert.NotNull(free);
        Assert.True(free > 0);
    }

    [Fact]
    public void ProducerRowsMustAddUpToTheTensor()
    {
        var error = Assert.Throws<PipelineException>(() =>
            new OutputTensor("x", DType.F16, ImmutableArray.Create(10L, 4), new PatternProducer(10, 4)));
        Assert.Equal(PipelineError.ProducerMismatch, error.Reason);
        Assert.Equal("x", error.TensorName);
    }
}
