using System.Text.Json;
using Thaw.Cli.Commands;
using static Thaw.Tests.Lora.TestAdapters;

namespace Thaw.Tests.Cli;

public sealed class MergeCommandTests : IDisposable
{
    private static readonly string A1 = Fixtures.Path("A1-llama-bf16");
    private static readonly string A2 = Fixtures.Path("A2-llama-nf4-dq");
    private static readonly string A5 = Fixtures.Path("A5-qlora-r8");
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void TheReadmeSampleMergesTheQloraAdapterIntoTheNf4Base()
    {
        var output = temp.File("merged");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", output);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"wrote {output}", run.Out, StringComparison.Ordinal);
        Assert.Contains("14 tensors merged into the dequantized weights of the quantized base", run.Out, StringComparison.Ordinal);
        Assert.Equal(["README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PlanPrintsThePlanAndWritesNothing()
    {
        var output = temp.File("merged");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", output, "--plan");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", run.Out, StringComparison.Ordinal);
        Assert.Contains("+ lora", run.Out, StringComparison.Ordinal);
        Assert.Contains("dequantize nf4", run.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void PlanWithJsonIsTheSamePlanAsJson()
    {
        var output = temp.File("merged");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", output, "--plan", "--json");
        Assert.Equal(0, run.ExitCode);
        using var plan = System.Text.Json.JsonDocument.Parse(run.Out);
        var root = plan.RootElement;
        Assert.Equal("safetensors", root.GetProperty("format").GetString());
        Assert.Equal(2078880, root.GetProperty("parameters").GetInt64());
        var down = root.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "model.layers.0.mlp.down_proj.weight");
        Assert.StartsWith("dequantize nf4", down.GetProperty("steps").GetString(), StringComparison.Ordinal);
        Assert.Contains("+ lora", down.GetProperty("steps").GetString(), StringComparison.Ordinal);
        Assert.Contains("README.md", root.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void MergeToGgufWithoutATokenizerSaysWhichFilesAreNeeded()
    {
        // The A2 fixture folder carries no tokenizer.json (the sample does).
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", temp.File("merged.gguf"));
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("tokenizer.model", line, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", line, StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void MergeStraightToGgufPlansTheFileAsJson()
    {
        var output = temp.File("merged.gguf");
        var sample = Path.Combine(Fixtures.RepositoryRoot, "samples", "A2-llama-nf4-dq");
        var run = CliRun.Of("merge", "--base", sample, "--adapter", A5, "--out", output, "--gguf-type", "q8_0", "--plan", "--json");
        Assert.Equal(0, run.ExitCode);
        using var plan = System.Text.Json.JsonDocument.Parse(run.Out);
        var root = plan.RootElement;
        Assert.Equal("gguf", root.GetProperty("format").GetString());
        var q = root.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "blk.0.attn_q.weight");
        Assert.Equal("q8_0", q.GetProperty("type").GetString());
        Assert.Contains("rotary rows permuted", q.GetProperty("steps").GetString(), StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("metadata").EnumerateArray(), kv => kv.GetProperty("key").GetString() == "general.file_type" && kv.GetProperty("value").GetString() == "7");
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void JsonHasTheRunSummaryAndTheMergeFields()
    {
        var output = temp.File("merged");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5 + ":0.5", "--out", output, "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal("bfloat16", root.GetProperty("dtype").GetString());
        Assert.Equal(21, root.GetProperty("tensors").GetInt32());
        Assert.Equal(14, root.GetProperty("merged_tensors").GetInt32());
        Assert.Equal("the dequantized weights of the quantized base (what training saw)", root.GetProperty("merged_into").GetString());
        var adapter = Assert.Single(root.GetProperty("adapters").EnumerateArray());
        Assert.Equal((A5, 0.5, 14), (adapter.GetProperty("path").GetString(), adapter.GetProperty("weight").GetDouble(), adapter.GetProperty("modules").GetInt32()));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("notes").ValueKind);
    }

    [Fact]
    public void IntoOriginalMergesIntoTheSixteenBitModel()
    {
        var output = temp.File("merged");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--into", "original", "--original", A1, "--out", output);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"14 tensors merged into the original 16-bit weights of {A1}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"Merged into: the original 16-bit weights of {A1}", File.ReadAllText(Path.Combine(output, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void AnExistingOutputIsRefusedWithoutForce()
    {
        var output = temp.File("merged");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "x");
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", output);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("--force", run.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFiles(output).Select(Path.GetFileName));
        Assert.Equal(0, CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", output, "--force", "--quiet").ExitCode);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Theory]
    [InlineData("--into", "original")]
    [InlineData("--original", "A1")]
    [InlineData("--adapter", "ADAPTER:nan")]
    [InlineData("--adapter", "ADAPTER:-Infinity")]
    [InlineData("--dtype", "f8")]
    public void UsageErrorsExitTwo(string option, string value)
    {
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5, "--out", temp.File("merged"), option, value.Replace("ADAPTER", A5, StringComparison.Ordinal).Replace("A1", A1, StringComparison.Ordinal));
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void AWeightThatIsNotANumberIsPartOfThePath()
    {
        var run = CliRun.Of("merge", "--base", A2, "--adapter", A5 + ":abc", "--out", temp.File("merged"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(A5 + ":abc", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Fact]
    public void AnAdapterWithErrorsExitsOneWithOneErrorLine()
    {
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(), [.. Linear(Q0), .. Linear("model.layers.9.self_attn.q_proj")]);
        var run = CliRun.Of("merge", "--base", A1, "--adapter", adapter, "--out", temp.File("merged"));
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("unmatched_module at model.layers.9.self_attn.q_proj", line, StringComparison.Ordinal);
        Assert.Empty(run.Out);
        Assert.Empty(temp.Entries());
    }

    private const string V0 = "model.layers.0.self_attn.v_proj";
    private const string TargetsQAndV = """["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"]""";

    [Fact]
    public void WarningsAreStatedOnStandardError()
    {
        // The config targets v_proj too, but the file has no tensors for it: the merge leaves it unchanged, and says so.
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(targets: TargetsQAndV), Linear(Q0));
        var run = CliRun.Of("merge", "--base", A1, "--adapter", adapter, "--out", temp.File("merged"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.StartsWith($"warning: {V0}: ", StringComparison.Ordinal) && l.Contains("no LoRA tensors", StringComparison.Ordinal));
    }

    [Fact]
    public void WarningsAreStatedWithPlanToo()
    {
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(targets: TargetsQAndV), Linear(Q0));
        var run = CliRun.Of("merge", "--base", A1, "--adapter", adapter, "--out", temp.File("merged"), "--plan");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.StartsWith($"warning: {V0}: ", StringComparison.Ordinal));
    }

    [Fact]
    public void ARankInTheFileThatDisagreesWithTheConfigIsAnError()
    {
        // PEFT refuses to load it; the scaling alpha/r would be a guess.
        using var folder = new TempFolder();
        var adapter = Write(folder, Config(r: 8, targets: """["model.layers.0.self_attn.q_proj"]"""), Linear(Q0, r: 4));
        var run = CliRun.Of("merge", "--base", A1, "--adapter", adapter, "--out", temp.File("merged"));
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("rank_differs_from_config", line, StringComparison.Ordinal);
        Assert.Empty(temp.Entries());
    }

    [Theory]
    [InlineData("dir", "dir", 1.0)]
    [InlineData("dir:0.5", "dir", 0.5)]
    [InlineData("dir:-1", "dir", -1.0)]
    [InlineData("dir:1e-1", "dir", 0.1)]
    [InlineData("a:b/dir:2", "a:b/dir", 2.0)]
    [InlineData("dir:abc", "dir:abc", 1.0)]
    [InlineData("C:\\dir", "C:\\dir", 1.0)]
    public void AdapterSpecsSplitAtTheLastColonBeforeANumber(string spec, string folder, double weight) =>
        Assert.Equal((folder, weight, (string?)null), MergeCommand.ParseAdapter(spec));

    [Theory]
    [InlineData("dir:nan")]
    [InlineData("dir:Infinity")]
    [InlineData("")]
    public void AdapterSpecsWithoutAFolderOrAFiniteWeightAreErrors(string spec)
    {
        var (folder, _, error) = MergeCommand.ParseAdapter(spec);
        Assert.Null(folder);
        Assert.NotNull(error);
    }
}
