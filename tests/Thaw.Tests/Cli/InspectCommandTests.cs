using System.Text.Json;

namespace Thaw.Tests.Cli;

public class InspectCommandTests
{
    // From tests/fixtures/A1-llama-bf16-sharded/model.safetensors.index.json (written by transformers).
    private const long A1Parameters = 2078880;

    [Fact]
    public void MissingArgumentIsAUsageError()
    {
        var run = CliRun.Of("inspect");
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.ErrorLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var run = CliRun.Of("defrost", "x");
        Assert.Equal(2, run.ExitCode);
    }

    [Fact]
    public void MissingModelFailsWithOneErrorLine()
    {
        var run = CliRun.Of("inspect", Path.Combine(Path.GetTempPath(), "thaw-no-such-model-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public void CorruptFileFailsWithOneErrorLineNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"thaw-corrupt-{Guid.NewGuid():N}.safetensors");
        var bytes = File.ReadAllBytes(Fixtures.Path("A1-llama-bf16/model.safetensors"));
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        try
        {
            var run = CliRun.Of("inspect", path);
            Assert.Equal(1, run.ExitCode);
            Assert.Single(run.ErrorLines);
            Assert.Contains(path, run.ErrorLines[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void QuantizedModelJsonCountsRealElements()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A2-llama-nf4-dq"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal("model", root.GetProperty("kind").GetString());
        Assert.Equal(A1Parameters, root.GetProperty("parameters").GetInt64());
        Assert.Equal("LlamaForCausalLM", root.GetProperty("model").GetProperty("architecture").GetString());
        var quantization = root.GetProperty("model").GetProperty("quantization");
        Assert.Equal("bitsandbytes", quantization.GetProperty("method").GetString());
        Assert.Equal(4, quantization.GetProperty("bits").GetInt32());
        Assert.Equal("nf4", quantization.GetProperty("quant_type").GetString());

        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(21, tensors.Count);
        var quantized = tensors.Where(t => t.GetProperty("quantization").ValueKind != JsonValueKind.Null).ToList();
        Assert.Equal(14, quantized.Count);
        var down = tensors.Single(t => t.GetProperty("name").GetString() == "model.layers.0.mlp.down_proj.weight");
        Assert.Equal([32L, 128L], down.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(4096, down.GetProperty("parameters").GetInt64());
        var q = down.GetProperty("quantization");
        Assert.Equal("nf4", q.GetProperty("kind").GetString());
        Assert.Equal(64, q.GetProperty("blocksize").GetInt32());
        Assert.True(q.GetProperty("double_quant").GetBoolean());
        Assert.Equal("U8", q.GetProperty("storage_dtype").GetString());
        Assert.Equal([2048L, 1L], q.GetProperty("stored_shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public void ShardedModelListsEveryShard()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A1-llama-bf16-sharded"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal(4, doc.RootElement.GetProperty("files").GetArrayLength());
        Assert.Equal(A1Parameters, doc.RootElement.GetProperty("parameters").GetInt64());
        Assert.Equal(A1Parameters * 2, doc.RootElement.GetProperty("bytes_by_dtype").GetProperty("BF16").GetInt64());
        var lmHead = doc.RootElement.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "lm_head.weight");
        Assert.Equal("model-00003-of-00004.safetensors", lmHead.GetProperty("file").GetString());
    }

    [Fact]
    public void AdapterReportsRankAlphaScalingAndModules()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A5-qlora-r8"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal("adapter", doc.RootElement.GetProperty("kind").GetString());
        var adapter = doc.RootElement.GetProperty("adapter");
        Assert.Equal(8, adapter.GetProperty("r").GetInt32());
        Assert.Equal(16, adapter.GetProperty("lora_alpha").GetDouble());
        Assert.Equal(2, adapter.GetProperty("scaling").GetDouble());
        Assert.Equal(28, adapter.GetProperty("tensor_count").GetInt32());
        Assert.Equal(14, adapter.GetProperty("modules").GetArrayLength());
        Assert.Equal(0, adapter.GetProperty("refused").GetArrayLength());
    }

    [Fact]
    public void RsLoraAdapterScalesBySquareRootOfRank()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A4-llama-rslora-r8"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var adapter = doc.RootElement.GetProperty("adapter");
        Assert.True(adapter.GetProperty("use_rslora").GetBoolean());
        var r = adapter.GetProperty("r").GetInt32();
        var alpha = adapter.GetProperty("lora_alpha").GetDouble();
        Assert.Equal(alpha / Math.Sqrt(r), adapter.GetProperty("scaling").GetDouble(), 12);
    }

    [Fact]
    public void HumanOutputShowsTheTensorTable()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A2-llama-fp4"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", run.Out, StringComparison.Ordinal);
        Assert.Contains("fp4 block 64", run.Out, StringComparison.Ordinal);
        Assert.Contains("2,078,880", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void QuietPrintsNothing()
    {
        var run = CliRun.Of("inspect", Fixtures.Path("A1-llama-bf16"), "--quiet");
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Out);
    }
}
