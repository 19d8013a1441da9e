using System.Text.Json.Nodes;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Lora;
using Thaw.Tests.Models;

namespace Thaw.Tests.Merge;

/// <summary>
/// Training checkpoints without adapter_config.json: the state dict of a PeftModel on the 4-bit base (the frozen base
/// with its packed 4-bit tables under <c>.base_layer.</c>, the LoRA tensors under their adapter name, everything under
/// a trainer's wrapper prefix), sharded with an index. Built from the real A2 base and A5 adapter, so the merge must
/// give the round-once reference bit for bit, as the PEFT folder does.
/// </summary>
public sealed class RawCheckpointTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("model.base_model.model.")]
    [InlineData("module._orig_mod.base_model.model.")]
    [InlineData("")]
    public void ShardedStateDictOfAPeftModelMergesLikeTheAdapterFolder(string prefix)
    {
        var checkpoint = WriteCheckpoint(prefix);
        var output = temp.File("out");
        using (var adapter = LoraAdapter.Load(checkpoint, new RawCheckpointSettings(8, 16, false)))
        {
            Assert.True(adapter.IsRawCheckpoint);
            Assert.Equal(14, adapter.Modules.Count);
            Assert.Empty(adapter.Replacements);
            // The frozen base: 7 plain tensors and 14 packed weights with 5 tables each, all ignored.
            Assert.Equal(7 + 14 * 6, adapter.IgnoredTensors.Count);
        }
        var code = Cli.CliRun.Of("merge", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", checkpoint, "--lora-r", "8", "--lora-alpha", "16", "--out", output, "--quiet");
        Assert.Equal(0, code.ExitCode);
        using var merged = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        using var reference = SafetensorsFile.Open(Fixtures.Path("A5-iii-f32dequant-merge-bf16.safetensors"));
        foreach (var want in reference.Tensors)
            Assert.Equal(reference.ReadAll(want), merged.ReadAll(merged.Tensors.Single(t => t.Name == want.Name)));
    }

    [Fact]
    public void WrongRankIsAnErrorBecauseTheScalingWouldBeAGuess()
    {
        var checkpoint = WriteCheckpoint("model.base_model.model.");
        var run = Cli.CliRun.Of("merge", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", checkpoint, "--lora-r", "16", "--lora-alpha", "16", "--out", temp.File("out"), "--quiet");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("rank_differs_from_config", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void CheckpointWithoutRankAndAlphaIsRefusedWithTheFlagsToPass()
    {
        var checkpoint = WriteCheckpoint("model.base_model.model.");
        var e = Assert.Throws<LoraException>(() => LoraAdapter.Load(checkpoint));
        Assert.Equal(LoraError.NotAnAdapter, e.Reason);
        Assert.Contains("--lora-r", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 16.0)]
    [InlineData(-8, 16.0)]
    [InlineData(8, double.NaN)]
    [InlineData(8, double.PositiveInfinity)]
    public void ImpossibleRankOrAlphaIsRefused(int rank, double alpha) =>
        Assert.Equal(LoraError.BadConfig, Assert.Throws<LoraException>(() => new RawCheckpointSettings(rank, alpha, false).ToConfig("checkpoint")).Reason);

    [Fact]
    public void LoraAlphaWithoutLoraRIsAUsageError()
    {
        var run = Cli.CliRun.Of("merge", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", "x", "--lora-alpha", "16", "--out", temp.File("out"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--lora-r and --lora-alpha go together", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RankAndAlphaForAPeftFolderAreRefused() =>
        Assert.Equal(LoraError.BadConfig, Assert.Throws<LoraException>(() => LoraAdapter.Load(Fixtures.Path("A5-qlora-r8"), new RawCheckpointSettings(8, 16, false))).Reason);

    [Fact]
    public void CheckpointWithNoLoraTensorsIsNotAnAdapter() =>
        Assert.Equal(LoraError.NotAnAdapter,
            Assert.Throws<LoraException>(() => LoraAdapter.Load(Fixtures.Path("A1-llama-bf16/model.safetensors"), new RawCheckpointSettings(8, 16, false))).Reason);

    // Two shards + index: the base's tensors under base_layer (quantized ones) or their own name, the LoRA tensors with ".default".
    private string WriteCheckpoint(string prefix)
    {
        var folder = temp.File("checkpoint");
        Directory.CreateDirectory(folder);
        var tensors = new List<TestWeights.Tensor>();
        using (var baseFile = TensorFiles.Open(Fixtures.Path("A2-llama-nf4-dq/model.safetensors")))
        {
            foreach (var t in baseFile.Tensors)
            {
                var name = t.Name.Contains("_proj.weight", StringComparison.Ordinal) ? t.Name.Replace("_proj.weight", "_proj.base_layer.weight", StringComparison.Ordinal) : t.Name;
                tensors.Add(new(prefix + name, t.DType, [.. t.Shape], baseFile.ReadAll(t)));
            }
        }
        using (var adapterFile = TensorFiles.Open(Fixtures.Path("A5-qlora-r8/adapter_model.safetensors")))
        {
            foreach (var t in adapterFile.Tensors)
            {
                var name = t.Name["base_model.model.".Length..].Replace(".weight", ".default.weight", StringComparison.Ordinal);
                tensors.Add(new(prefix + name, t.DType, [.. t.Shape], adapterFile.ReadAll(t)));
            }
        }
        var half = tensors.Count / 2;
        var shards = new[] { tensors[..half], tensors[half..] };
        var map = new JsonObject();
        for (var i = 0; i < shards.Length; i++)
        {
            var file = $"model-0000{i + 1}-of-00002.safetensors";
            TestWeights.Write(Path.Combine(folder, file), [.. shards[i]]);
            foreach (var t in shards[i])
                map[t.Name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), index.ToJsonString());
        return folder;
    }
}
