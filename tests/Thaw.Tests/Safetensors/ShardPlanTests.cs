using Thaw.Formats.Safetensors;
using Thaw.IO;
using Thaw.Tensors;

namespace Thaw.Tests.Safetensors;

public class ShardPlanTests
{
    /// <summary>LlamaForCausalLM's state-dict order (module registration order) for the 2-layer fixture model.</summary>
    private static IEnumerable<string> LlamaStateDictOrder(int layers)
    {
        yield return "model.embed_tokens.weight";
        for (var i = 0; i < layers; i++)
        {
            foreach (var module in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm" })
                yield return $"model.layers.{i}.{module}.weight";
        }
        yield return "model.norm.weight";
        yield return "lm_head.weight";
    }

    private static List<TensorInfo> A1TensorsInStateDictOrder()
    {
        using var file = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16/model.safetensors"));
        var byName = file.Tensors.ToDictionary(t => t.Name);
        var ordered = LlamaStateDictOrder(2).Select(n => byName[n]).ToList();
        Assert.Equal(byName.Count, ordered.Count);
        return ordered;
    }

    [Fact]
    public void PlanningTheFixtureModelAt40KBGivesTheFixtureShards()
    {
        // The fixture was saved by transformers with max_shard_size="40KB" = 40,000 bytes (huggingface_hub's
        // decimal units); its shards 1 and 3 are the oversize embedding and lm_head, each alone.
        var plan = ShardPlan.Create(A1TensorsInStateDictOrder(), ByteSize.Parse("40KB"));
        var index = SafetensorsIndex.Load(SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded/model.safetensors.index.json"));

        Assert.True(plan.IsSharded);
        Assert.Equal(index.WeightMap.OrderBy(p => p.Key, StringComparer.Ordinal), plan.WeightMap.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(index.TotalSize, plan.TotalSize);
        Assert.Equal(index.ShardFiles, plan.Shards.Select(s => s.FileName));
        Assert.Equal(["model.embed_tokens.weight"], plan.Shards[0].Tensors.Select(t => t.Name));
        Assert.Equal(["lm_head.weight"], plan.Shards[2].Tensors.Select(t => t.Name));
        Assert.Equal([2048000L, 36992, 2048000, 24768], plan.Shards.Select(s => s.DataLength));

        // Each shard file of the fixture holds exactly the planned tensors.
        foreach (var shard in plan.Shards)
        {
            using var file = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded/" + shard.FileName));
            Assert.Equal(shard.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void TheFixtureIndexIsWrittenByteForByte()
    {
        var plan = ShardPlan.Create(A1TensorsInStateDictOrder(), 40_000);
        var totalParameters = plan.Shards.SelectMany(s => s.Tensors).Sum(t => t.ElementCount);
        Assert.Equal(2078880, totalParameters);
        var expected = File.ReadAllBytes(SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded/model.safetensors.index.json"));
        Assert.Equal(expected, plan.CreateIndex(totalParameters).ToJsonBytes());
    }

    [Fact]
    public void WritingEveryPlannedShardReproducesTheFixtureShards()
    {
        using var folder = new TempFolder();
        using var source = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16/model.safetensors"));
        var plan = ShardPlan.Create(A1TensorsInStateDictOrder(), 40_000);
        foreach (var shard in plan.Shards)
        {
            using (var writer = SafetensorsWriter.Create(folder.File(shard.FileName), shard.Tensors))
            {
                foreach (var tensor in shard.Tensors)
                {
                    Assert.True(source.TryGetTensor(tensor.Name, out var original));
                    writer.Write(tensor, 0, Thaw.Formats.TensorFileExtensions.ReadAll(source, original));
                }
                writer.Complete();
            }
            Assert.Equal(File.ReadAllBytes(SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded/" + shard.FileName)), File.ReadAllBytes(folder.File(shard.FileName)));
        }
    }

    private static TensorInfo[] Sized(params long[] sizes) =>
        [.. sizes.Select((s, i) => new TensorInfo($"t{i}", DType.U8, [s], s))];

    private static string[][] Groups(ShardPlan plan) => [.. plan.Shards.Select(s => s.Tensors.Select(t => t.Name).ToArray())];

    [Fact]
    public void FillsInOrderWithoutBinPacking()
    {
        // huggingface_hub's docstring example: [6, 6, 2, 6, 2, 2] GB with a 10 GB limit -> [6], [6+2], [6+2+2].
        var plan = ShardPlan.Create(Sized(6, 6, 2, 6, 2, 2), 10);
        Assert.Equal([["t0"], ["t1", "t2"], ["t3", "t4", "t5"]], Groups(plan));
        Assert.Equal(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"], plan.Shards.Select(s => s.FileName));
        Assert.Equal(24, plan.TotalSize);
    }

    [Fact]
    public void OversizeTensorGetsItsOwnShardWhileTheOpenShardStaysOpen()
    {
        var plan = ShardPlan.Create(Sized(3, 20, 4, 5, 11, 1), 10);
        Assert.Equal([["t1"], ["t0", "t2"], ["t4"], ["t3", "t5"]], Groups(plan));
        Assert.Equal("model-00001-of-00004.safetensors", plan.WeightMap["t1"]);
        Assert.Equal("model-00004-of-00004.safetensors", plan.WeightMap["t5"]);
    }

    [Fact]
    public void ExactlyTheLimitStillFits()
    {
        Assert.Equal([["t0", "t1"], ["t2"]], Groups(ShardPlan.Create(Sized(4, 6, 1), 10)));
        Assert.Equal([["t0", "t1", "t2"]], Groups(ShardPlan.Create(Sized(10, 0, 0), 10)));
        Assert.Equal([["t0"], ["t1"]], Groups(ShardPlan.Create(Sized(10, 1), 10)));
    }

    [Fact]
    public void OneShardIsModelSafetensorsWithoutIndex()
    {
        var plan = ShardPlan.Create(Sized(1, 2, 3), 100);
        Assert.False(plan.IsSharded);
        Assert.Equal("model.safetensors", plan.Shards.Single().FileName);
        Assert.All(plan.WeightMap.Values, v => Assert.Equal("model.safetensors", v));

        // A single oversize tensor is still one file.
        Assert.Equal("model.safetensors", ShardPlan.Create(Sized(50), 10).Shards.Single().FileName);
        Assert.Empty(ShardPlan.Create([], 10).Shards.Single().Tensors);
    }

    [Fact]
    public void BadInputsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ShardPlan.Create([new TensorInfo("a", DType.U8, [1], 1), new TensorInfo("a", DType.U8, [1], 1)], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.Create(Sized(1), -1));
        Assert.Equal("model-00007-of-00123.safetensors", ShardPlan.ShardFileName(7, 123));
        Assert.Equal("model-123456-of-123456.safetensors", ShardPlan.ShardFileName(123456, 123456));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.ShardFileName(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.ShardFileName(4, 3));
    }
}
