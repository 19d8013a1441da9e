using System.Text.Json;
using Thaw.Formats;
using Thaw.Formats.Safetensors;

namespace Thaw.Tests.Cli;

public sealed class DequantizeCommandTests : IDisposable
{
    private static readonly string A1 = Fixtures.Path("A1-llama-bf16");
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void JsonSummaryNamesTheOutputAndItsFiles()
    {
        var output = _temp.File("out");
        var run = CliRun.Of("dequantize", A1, "--out", output, "--dtype", "f16", "--max-shard-size", "1MB", "--threads", "2", "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal(output, root.GetProperty("output").GetString());
        Assert.Equal("float16", root.GetProperty("dtype").GetString());
        Assert.Equal(21, root.GetProperty("tensors").GetInt32());
        Assert.Equal(4157760, root.GetProperty("tensor_bytes").GetInt64());
        var files = root.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains("model.safetensors.index.json", files);
        Assert.All(files, f => Assert.True(File.Exists(Path.Combine(output, f)), f));
        Assert.Equal(files.Sum(f => new FileInfo(Path.Combine(output, f)).Length), root.GetProperty("bytes").GetInt64());
        Assert.True(root.GetProperty("seconds").GetDouble() >= 0);
        Assert.True(root.GetProperty("peak_rss_bytes").GetInt64() > 0);
    }

    [Fact]
    public void Nf4ModelDequantizesToTheBitsandbytesReference()
    {
        var output = _temp.File("out");
        var run = CliRun.Of("dequantize", Fixtures.Path("A2-llama-nf4-dq"), "--out", output, "--dtype", "bf16", "--json");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Out);
        Assert.Equal("bfloat16", doc.RootElement.GetProperty("dtype").GetString());
        Assert.Equal(21, doc.RootElement.GetProperty("tensors").GetInt32());

        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        using var reference = SafetensorsFile.Open(Fixtures.Path("A2-llama-nf4-dq.dequant-reference.safetensors"));
        foreach (var expected in reference.Tensors.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal)))
        {
            Assert.True(result.TryGetTensor(expected.Name, out var actual));
            Assert.Equal(reference.ReadAll(expected), result.ReadAll(actual));
        }
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("A1-llama-bf16/config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
    }

    [Fact]
    public void PlainProgressLinesGoToStderrAndTheSummaryToStdout()
    {
        var run = CliRun.Of("dequantize", A1, "--out", _temp.File("out"));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("dequantize: 21/21 tensors, 4.2 MB of 4.2 MB (100%)", run.ErrorLines[^1][..run.ErrorLines[^1].LastIndexOf(',')]);
        Assert.StartsWith($"wrote {_temp.File("out")}: 21 tensors (bfloat16)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void QuietPrintsNothing()
    {
        var run = CliRun.Of("dequantize", A1, "--out", _temp.File("out"), "--quiet");
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Out);
        Assert.Empty(run.Error);
        Assert.True(File.Exists(_temp.File("out/model.safetensors")));
    }

    [Fact]
    public void AnExistingOutputNeedsForce()
    {
        var output = _temp.File("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "old");

        var refused = CliRun.Of("dequantize", A1, "--out", output, "--quiet");
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.ErrorLines);
        Assert.Contains("--force", refused.ErrorLines[0], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "keep.txt")));

        var forced = CliRun.Of("dequantize", A1, "--out", output, "--quiet", "--force");
        Assert.Equal(0, forced.ExitCode);
        Assert.False(File.Exists(Path.Combine(output, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void OutputInsideTheInputFailsWithOneLine()
    {
        var model = _temp.File("model");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.EnumerateFiles(A1))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var run = CliRun.Of("dequantize", model, "--out", Path.Combine(model, "plain"));
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains("inside the input folder", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(model, "plain")));
    }

    [Fact]
    public void MissingModelFails()
    {
        var run = CliRun.Of("dequantize", _temp.File("nothing"), "--out", _temp.File("out"));
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.False(Directory.Exists(_temp.File("out")));
    }

    [Theory]
    [InlineData("--dtype", "int8")]
    [InlineData("--max-shard-size", "lots")]
    [InlineData("--max-shard-size", "0")]
    [InlineData("--max-memory", "-5MB")]
    [InlineData("--threads", "0")]
    [InlineData("--threads", "many")]
    public void BadOptionValuesAreUsageErrors(string option, string value)
    {
        var run = CliRun.Of("dequantize", A1, "--out", _temp.File("out"), option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.File("out")));
    }

    [Fact]
    public void OutIsRequired()
    {
        var run = CliRun.Of("dequantize", A1);
        Assert.Equal(2, run.ExitCode);
    }
}
