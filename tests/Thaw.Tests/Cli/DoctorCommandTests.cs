using System.Text.Json;
using static Thaw.Tests.Lora.TestAdapters;

namespace Thaw.Tests.Cli;

public class DoctorCommandTests
{
    private static readonly string A1 = Fixtures.Path("A1-llama-bf16");

    [Fact]
    public void CleanAdapterExitsZeroWithATableRowPerModule()
    {
        var run = CliRun.Of("doctor", "--base", A1, "--adapter", Fixtures.Path("A3-llama-lora-r4"));
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", run.Out, StringComparison.Ordinal);
        Assert.Contains("0.018040", run.Out, StringComparison.Ordinal);
        Assert.Contains("ok: 14 module(s) apply cleanly (0 warning(s))", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonHasStableSnakeCaseKeys()
    {
        var run = CliRun.Of("doctor", "--base", Fixtures.Path("A2-llama-nf4-dq"), "--adapter", Fixtures.Path("A5-qlora-r8"), "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal(["base", "adapter", "ok", "errors", "warnings", "modules", "findings"], root.EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(1, root.GetProperty("warnings").GetInt32());
        var module = root.GetProperty("modules")[0];
        Assert.Equal(["module", "base_tensor", "kind", "dora", "r", "alpha", "scaling", "delta_norm", "base_norm", "ratio"], module.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("model.layers.0.mlp.down_proj", "linear", 8, 2.0), (module.GetProperty("module").GetString(), module.GetProperty("kind").GetString(), module.GetProperty("r").GetInt32(), module.GetProperty("scaling").GetDouble()));
        var finding = root.GetProperty("findings")[0];
        Assert.Equal(["severity", "code", "module", "message"], finding.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("warning", "quantized_base"), (finding.GetProperty("severity").GetString(), finding.GetProperty("code").GetString()));
    }

    [Fact]
    public void RefusedConfigFeatureExitsOneAndTheLastLineSaysWhy()
    {
        using var folder = new TempFolder();
        var adapter = Write(folder, """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_qalora": true}""", Linear(Q0));
        var run = CliRun.Of("doctor", "--base", A1, "--adapter", adapter);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: [refused_feature] use_qalora", run.Out, StringComparison.Ordinal);
        Assert.Contains("refused_feature", run.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Contains("would not apply cleanly", run.ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorFindingsInJsonExitOne()
    {
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(), Linear("model.layers.9.self_attn.q_proj"));
        var run = CliRun.Of("doctor", "--base", A1, "--adapter", adapter, "--json");
        Assert.Equal(1, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "unmatched_module");
    }

    [Fact]
    public void BrokenAdapterFileExitsOneWithOneErrorLine()
    {
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(), F32($"base_model.model.{Q0}.lora_A.weight", [0]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 4]));
        var run = CliRun.Of("doctor", "--base", A1, "--adapter", adapter);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("ZeRO-3", run.ErrorLines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("doctor", "--base", "x")]
    [InlineData("doctor", "--adapter", "x")]
    [InlineData("doctor", "--base", "x", "--adapter", "y", "--bogus")]
    public void MissingOrUnknownOptionsAreUsageErrors(params string[] args) => Assert.Equal(2, CliRun.Of(args).ExitCode);
}
