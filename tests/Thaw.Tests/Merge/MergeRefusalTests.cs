using Thaw.Lora;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;
using Thaw.Tests.Lora;
using Thaw.Tests.Pipeline;
using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>Merges that must stop before writing anything, each with its reason code (spec/peft-lora.md §10 "Refuse").</summary>
public sealed class MergeRefusalTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private static readonly string A1 = Fixtures.Path("A1-llama-bf16");
    private static readonly string A2 = Fixtures.Path("A2-llama-nf4-dq");
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string A1Adapter(string config, params Models.TestWeights.Tensor[] tensors) => Adapter(temp, "adapter", config, tensors);

    private static Models.TestWeights.Tensor[] Lora(string module, int r = 4, int inFeatures = 32, int outFeatures = 32, float? bFill = null) =>
    [
        TestAdapters.F32($"base_model.model.{module}.lora_A.weight", [r, inFeatures]),
        TestAdapters.F32($"base_model.model.{module}.lora_B.weight", [outFeatures, r], bFill),
    ];

    private static readonly string Targeted = AdapterConfig(4, 8, $"""["{Q}"]""");

    private T Refused<T>(string baseModel, params (string Folder, double Weight)[] adapters)
        where T : Exception
    {
        var output = temp.File("out");
        var error = Assert.Throws<T>(() => MergeRuns.Merge(baseModel, output, adapters));
        Assert.False(Directory.Exists(output));
        return error;
    }

    [Fact]
    public void AnAdapterForAnotherHiddenSizeIsRefused()
    {
        var error = Refused<LoraException>(A1, (A1Adapter(Targeted, Lora(Q, inFeatures: 64, outFeatures: 64)), 1));
        Assert.Equal(LoraError.MergeRefused, error.Reason);
        Assert.Contains(FindingCodes.ShapeMismatch, error.Message, StringComparison.Ordinal);
        Assert.Contains(Q, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModuleTheBaseLacksIsRefused()
    {
        var error = Refused<LoraException>(A1, (A1Adapter(AdapterConfig(4, 8, """["q_proj"]"""), [.. Lora(Q), .. Lora("model.layers.7.self_attn.q_proj")]), 1));
        Assert.Equal(LoraError.MergeRefused, error.Reason);
        Assert.Contains($"{FindingCodes.UnmatchedModule} at model.layers.7.self_attn.q_proj", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaNInLoraBIsRefused()
    {
        var error = Refused<LoraException>(A1, (A1Adapter(Targeted, Lora(Q, bFill: float.NaN)), 1));
        Assert.Equal(LoraError.MergeRefused, error.Reason);
        Assert.Contains(FindingCodes.NonFinite, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARankInTheFileThatDisagreesWithTheConfigIsRefused()
    {
        // Config r 8; tensors of rank 4: PEFT refuses to load it, and alpha/r would be a guess.
        var adapter = A1Adapter(AdapterConfig(8, 8, $"""["{Q}"]"""), Lora(Q, r: 4));
        var error = Refused<LoraException>(A1, (adapter, 1));
        Assert.Equal(LoraError.MergeRefused, error.Reason);
        Assert.Contains(FindingCodes.RankDiffersFromConfig, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AResultBeyondTheF16RangeIsRefusedNamingTheTensor()
    {
        // 60000 + 2·(1·30000) = 120000: finite in float32, beyond float16's 65504.
        var baseFolder = Folder(temp, "base", LlamaConfig(), new Models.TestWeights.Tensor($"{Q}.weight", DType.F16, [1, 1], BitConverter.GetBytes((Half)60000)));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 1], 30000), F32($"base_model.model.{Q}.lora_B.weight", [1, 1], 1));
        var error = Refused<LoraException>(baseFolder, (adapter, 1));
        Assert.Equal(LoraError.NonFiniteResult, error.Reason);
        Assert.Equal($"{Q}.weight", error.TensorName);
        Assert.Contains("rounding to F16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AResultBeyondTheF32RangeIsRefusedNamingTheModule()
    {
        var baseFolder = Folder(temp, "base", LlamaConfig(), F32($"{Q}.weight", [1, 1], 3e38f));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 1], 1e38f), F32($"base_model.model.{Q}.lora_B.weight", [1, 1], 1));
        var error = Refused<LoraException>(baseFolder, (adapter, 1));
        Assert.Equal(LoraError.NonFiniteResult, error.Reason);
        Assert.Contains($"module '{Q}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOutputInsideTheBaseOrAnAdapterIsRefused()
    {
        var model = PipelineRuns.CopyFolder(A1, temp.File("model"));
        var adapter = PipelineRuns.CopyFolder(Fixtures.Path("A3-llama-lora-r4"), temp.File("adapter"));
        foreach (var output in new[] { Path.Combine(model, "merged"), Path.Combine(adapter, "merged"), adapter })
        {
            var error = Assert.Throws<PipelineException>(() => MergeRuns.Merge(model, output, [(adapter, 1.0)], options: new PipelineOptions { Force = true }));
            Assert.Equal(PipelineError.OutputOverlapsInput, error.Reason);
        }
        Assert.Equal(["adapter", "model"], temp.Entries());
        Assert.False(Directory.Exists(Path.Combine(model, "merged")));
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
    }

    [Fact]
    public void AShardedBaseWithAShardMissingIsRefused()
    {
        var model = PipelineRuns.CopyFolder(Fixtures.Path("A1-llama-bf16-sharded"), temp.File("model"));
        File.Delete(Path.Combine(model, "model-00002-of-00004.safetensors"));
        var error = Refused<ModelException>(model, (Fixtures.Path("A3-llama-lora-r4"), 1));
        Assert.Equal(ModelError.MissingShard, error.Reason);
    }

    [Fact]
    public void IntoOriginalWithAnUnquantizedBaseIsABadRequest()
    {
        var output = temp.File("out");
        var error = Assert.Throws<LoraException>(() => MergeRuns.Merge(A1, output, [(Fixtures.Path("A3-llama-lora-r4"), 1.0)], original: A1));
        Assert.Equal(LoraError.BadMergeRequest, error.Reason);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AnOriginalWithOtherShapesOrItselfQuantizedIsABadRequest()
    {
        var other = Folder(temp, "other", LlamaConfig(), F32("model.embed_tokens.weight", [32000, 16], new float[32000 * 16]));
        foreach (var original in new[] { other, A2 })
        {
            var output = temp.File("out");
            var error = Assert.Throws<LoraException>(() => MergeRuns.Merge(A2, output, [(Fixtures.Path("A5-qlora-r8"), 1.0)], original: original));
            Assert.Equal(LoraError.BadMergeRequest, error.Reason);
            Assert.False(Directory.Exists(output));
        }
    }

    [Fact]
    public void AWeightOnADoraAdapterIsABadRequest()
    {
        var adapter = A1Adapter(AdapterConfig(4, 8, $"""["{Q}"]""", """, "use_dora": true"""),
            [.. Lora(Q), TestAdapters.F32($"base_model.model.{Q}.lora_magnitude_vector", [32])]);
        Assert.Equal(LoraError.BadMergeRequest, Refused<LoraException>(A1, (adapter, 0.5)).Reason);
        Assert.Equal(LoraError.BadMergeRequest, Refused<LoraException>(A1, (Fixtures.Path("A3-llama-lora-r4"), double.NaN)).Reason);
    }

    [Fact]
    public void CancellingMidwayLeavesNoOutputAndNoTempFolder()
    {
        var output = temp.File("out");
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.BytesDone > 0)
                cancellation.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => MergeRuns.Run(A1, output, [(Fixtures.Path("A3-llama-lora-r4"), 1.0)], null, null,
            new PipelineOptions { MaxMemory = 32 << 10, Threads = 2 }, plan => HfFolderOutput.Write(plan.Pipeline, progress, cancellation.Token)));
        Assert.Empty(temp.Entries());
    }
}
