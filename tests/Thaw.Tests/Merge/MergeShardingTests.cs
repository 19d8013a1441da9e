using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tests.Cli;

namespace Thaw.Tests.Merge;

/// <summary>Shards in and out: a sharded base gives PEFT's merged tensors, and a sharded output holds the same bytes as one file.</summary>
public sealed class MergeShardingTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void AShardedBaseMergesToTheSameTensorsAsTheSingleFileBase()
    {
        var fromShards = temp.File("from-shards");
        MergeRuns.Merge(Fixtures.Path("A1-llama-bf16-sharded"), fromShards, [(Fixtures.Path("A3-llama-lora-r4"), 1.0)]);
        using var merged = SafetensorsFile.Open(Path.Combine(fromShards, "model.safetensors"));
        using var reference = SafetensorsFile.Open(Fixtures.Path("A3-merged-bf16.safetensors"));
        using var plain = SafetensorsFile.Open(Fixtures.Path("A1-llama-bf16/model.safetensors"));
        Assert.Equal(plain.Tensors.Select(t => t.Name).Order(), merged.Tensors.Select(t => t.Name).Order());
        var differing = 0;
        foreach (var expected in reference.Tensors)
        {
            Assert.True(merged.TryGetTensor(expected.Name, out var actual));
            var (a, b) = (reference.ReadAll(expected), merged.ReadAll(actual));
            differing += Enumerable.Range(0, a.Length / 2).Count(i => a[2 * i] != b[2 * i] || a[2 * i + 1] != b[2 * i + 1]);
        }
        // As for the single-file base (MergeFixtureTests): PEFT's bits but for rare one-step flips.
        Assert.True(differing <= 30720 / 1000, $"{differing} values differ from PEFT's");
    }

    [Fact]
    public void AShardedOutputHoldsTheSameTensorsAsASingleFile()
    {
        var single = temp.File("single");
        var sharded = temp.File("sharded");
        Assert.Equal(0, CliRun.Of("merge", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", Fixtures.Path("A5-qlora-r8"), "--out", single, "--quiet").ExitCode);
        Assert.Equal(0, CliRun.Of("merge", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", Fixtures.Path("A5-qlora-r8"), "--out", sharded, "--quiet", "--max-shard-size", "1MB").ExitCode);
        Assert.True(File.Exists(Path.Combine(sharded, "model.safetensors.index.json")));
        using var one = SafetensorsFile.Open(Path.Combine(single, "model.safetensors"));
        var shards = Directory.GetFiles(sharded, "model-*.safetensors").Select(SafetensorsFile.Open).ToList();
        try
        {
            Assert.True(shards.Count > 1);
            Assert.Equal(one.Tensors.Select(t => t.Name).Order(), shards.SelectMany(s => s.Tensors.Select(t => t.Name)).Order());
            foreach (var shard in shards)
            {
                foreach (var tensor in shard.Tensors)
                {
                    Assert.True(one.TryGetTensor(tensor.Name, out var same));
                    Assert.Equal(one.ReadAll(same), shard.ReadAll(tensor));
                }
            }
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void ABaseGivenAsOneSafetensorsFileMergesWithoutConfig()
    {
        var output = temp.File("out");
        MergeRuns.Merge(Fixtures.Path("A1-llama-bf16/model.safetensors"), output, [(Fixtures.Path("A3-llama-lora-r4"), 1.0)]);
        Assert.Equal(["README.md", "model.safetensors"], Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
