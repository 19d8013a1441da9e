using System.Text.Json;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tests.Cli;
using Thaw.Tests.Models;

namespace Thaw.Tests.Analysis;

public class AnalyzeCommandTests
{
    private static string Gguf => Fixtures.Path("A8-imatrix/imatrix.gguf");

    [Fact]
    public void JsonHasTheDocumentedFields()
    {
        var run = CliRun.Of("analyze", ModelFixtures.A1, "--json", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal("nf4", root.GetProperty("type").GetString());
        Assert.Equal(64, root.GetProperty("blocksize").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("imatrix").ValueKind);
        var modules = root.GetProperty("modules").EnumerateArray().ToList();
        Assert.Equal(14, modules.Count);
        foreach (var field in new[] { "module", "group", "layer", "shape", "dtype", "elements", "relative_error", "max_abs_error", "weighted_error", "max_abs", "rms",
                     "max_over_rms", "kurtosis", "outlier_fraction", "bytes_16bit", "bytes_4bit", "keep_cost", "spike_z", "kept", "reason" })
            Assert.True(modules[0].TryGetProperty(field, out _), field);
        Assert.True(root.GetProperty("all_4bit_bytes").GetInt64() < root.GetProperty("model_bytes").GetInt64());
        Assert.Equal(12, root.GetProperty("kept").GetArrayLength());
        Assert.Equal("blocksize", root.GetProperty("kept")[0].GetProperty("reason").GetString());
        var skip = root.GetProperty("llm_int8_skip_modules").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal("lm_head", skip[0]);
        Assert.Equal(13, skip.Count);
        Assert.Equal(["embed_tokens", "lm_head"], root.GetProperty("never_quantized").EnumerateArray().Select(e => e.GetString()!.Split('.')[^2]).Order());
    }

    [Fact]
    public void TheReportIsSelfContainedWithPlots()
    {
        using var temp = new TempFolder();
        var report = temp.File("report");
        var run = CliRun.Of("analyze", ModelFixtures.A1, "--imatrix", Gguf, "--report", report, "--quiet", "--double-quant");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Out);
        foreach (var plot in new[] { "error-by-depth", "error-distribution", "memory" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(report, plot + ".png")).AsSpan().StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47]));
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(report, plot + ".svg")), StringComparison.Ordinal);
        }
        var html = File.ReadAllText(Path.Combine(report, "report.html"));
        Assert.Equal(3, html.Split("src=\"data:image/png;base64,").Length - 1);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains("imatrix.gguf", html, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "analysis.json")));
        Assert.All(json.RootElement.GetProperty("modules").EnumerateArray(), m => Assert.Equal(JsonValueKind.Number, m.GetProperty("weighted_error").ValueKind));
        Assert.True(json.RootElement.GetProperty("double_quant").GetBoolean());
    }

    [Fact]
    public void AnImatrixOfAnotherModelFails()
    {
        using var temp = new TempFolder();
        var planted = PlantedModels.Folder(temp, planted: false);
        var run = CliRun.Of("analyze", planted, "--imatrix", Gguf);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("input features", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ABudgetTooSmallFails()
    {
        var run = CliRun.Of("analyze", ModelFixtures.A1, "--budget", "0.1%");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--budget 0.8%", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicOptionsNeedDynamic()
    {
        using var temp = new TempFolder();
        Assert.Equal(2, CliRun.Of("quantize", ModelFixtures.A1, "--out", temp.File("o"), "--budget", "10%").ExitCode);
        Assert.Equal(2, CliRun.Of("quantize", ModelFixtures.A1, "--out", temp.File("o"), "--type", "int8", "--dynamic").ExitCode);
    }

    [Fact]
    public void QuantizeDynamicKeepsThePlantedModulesInBf16AndWritesTheSkipList()
    {
        using var temp = new TempFolder();
        var model = PlantedModels.Folder(temp, planted: true);
        var output = temp.File("out");
        var report = temp.File("report");
        var run = CliRun.Of("quantize", model, "--out", output, "--dynamic", "--budget", "15%", "--double-quant", "--json", "--report", report);
        Assert.True(run.ExitCode == 0, run.Error);
        using var summary = JsonDocument.Parse(run.Out);
        var kept = summary.RootElement.GetProperty("dynamic").GetProperty("kept").EnumerateArray().Select(k => k.GetProperty("module").GetString()).Order().ToList();
        Assert.Equal([PlantedModels.OutlierModule, PlantedModels.HeavyTailModule], kept);
        Assert.True(File.Exists(Path.Combine(report, "report.html")));

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        var skip = config.RootElement.GetProperty("quantization_config").GetProperty("llm_int8_skip_modules").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["lm_head", PlantedModels.OutlierModule, PlantedModels.HeavyTailModule], skip);
        using var file = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        using var original = SafetensorsFile.Open(Path.Combine(model, "model.safetensors"));
        foreach (var module in kept)
        {
            Assert.Equal([module + ".weight"], file.Tensors.Select(t => t.Name).Where(n => n.StartsWith(module + ".", StringComparison.Ordinal)));
            Assert.True(file.TryGetTensor(module + ".weight", out var weight));
            Assert.True(original.TryGetTensor(module + ".weight", out var source));
            Assert.Equal(global::Thaw.Tensors.DType.BF16, weight.DType);
            Assert.Equal(original.ReadAll(source), file.ReadAll(weight));
        }
        Assert.True(file.TryGetTensor("model.layers.1.mlp.up_proj.weight.nested_absmax", out _));
    }

    [Fact]
    public void QuantizeDynamicOfA1WritesBitsandbytesTensorsForWhatItQuantizes()
    {
        // A1's only projections blocksize 64 divides are the two down_proj: they are quantized exactly as in A2
        // (bitsandbytes' file), the rest stay as in A1, and the config is A2's but for the skip list.
        using var temp = new TempFolder();
        var output = temp.File("out");
        var run = CliRun.Of("quantize", ModelFixtures.A1, "--out", output, "--dynamic", "--double-quant", "--compute-dtype", "bf16", "--quiet");
        Assert.True(run.ExitCode == 0, run.Error);
        using var a1 = SafetensorsFile.Open(Path.Combine(ModelFixtures.A1, "model.safetensors"));
        using var a2 = SafetensorsFile.Open(Path.Combine(ModelFixtures.A2Nf4, "model.safetensors"));
        using var file = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        foreach (var info in file.Tensors)
        {
            var quantized = info.Name.Contains("mlp.down_proj", StringComparison.Ordinal);
            var reference = quantized ? a2 : a1;
            Assert.True(reference.TryGetTensor(info.Name, out var expected), info.Name);
            Assert.Equal((expected.DType, expected.ShapeText), (info.DType, info.ShapeText));
            Assert.True(reference.ReadAll(expected).AsSpan().SequenceEqual(file.ReadAll(info)), info.Name);
        }
        Assert.Equal(a2.Tensors.Count(t => t.Name.Contains("mlp.down_proj", StringComparison.Ordinal)), file.Tensors.Count(t => t.Name.Contains("mlp.down_proj", StringComparison.Ordinal)));

        using var expectedConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFixtures.A2Nf4, "config.json")));
        using var actualConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        var expectedQuant = expectedConfig.RootElement.GetProperty("quantization_config");
        var actualQuant = actualConfig.RootElement.GetProperty("quantization_config");
        Assert.Equal(expectedQuant.EnumerateObject().Select(p => p.Name), actualQuant.EnumerateObject().Select(p => p.Name));
        foreach (var property in expectedQuant.EnumerateObject().Where(p => p.Name != "llm_int8_skip_modules"))
            Assert.Equal(property.Value.GetRawText(), actualQuant.GetProperty(property.Name).GetRawText());
        var skip = actualQuant.GetProperty("llm_int8_skip_modules").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(13, skip.Count);
        Assert.DoesNotContain(skip, s => s.Contains("down_proj", StringComparison.Ordinal));
    }
}
