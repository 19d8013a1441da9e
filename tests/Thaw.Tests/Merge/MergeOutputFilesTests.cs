using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>The files beside the merged weights: config.json, the tokenizer files (an adapter's own win) and the model card.</summary>
public sealed class MergeOutputFilesTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string MergeA5(bool adapterTokenizer, params (string Folder, double Weight)[] more)
    {
        var adapter = Fixtures.Path("A5-qlora-r8");
        if (adapterTokenizer)
        {
            // An adapter trained with added tokens saves its own tokenizer files: a copy of A5 with one.
            adapter = temp.File("adapter-with-tokenizer");
            Directory.CreateDirectory(adapter);
            foreach (var file in Directory.GetFiles(Fixtures.Path("A5-qlora-r8")))
                File.Copy(file, Path.Combine(adapter, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(adapter, "tokenizer_config.json"), """{"added_by": "adapter"}""");
        }
        var output = temp.File("out");
        MergeRuns.Merge(Fixtures.Path("A2-llama-nf4-dq"), output, [(adapter, 1.0), .. more]);
        return output;
    }

    [Fact]
    public void ConfigHasNoQuantizationConfigAndTheBaseTokenizerFilesAreCopied()
    {
        var output = MergeA5(adapterTokenizer: false);
        var config = Config(output);
        Assert.False(config.ContainsKey("quantization_config"));
        Assert.Equal("bfloat16", (string)config["dtype"]!);
        Assert.Equal(32000, (int)config["vocab_size"]!);
        Assert.Equal(File.ReadAllText(Fixtures.Path("A2-llama-nf4-dq/tokenizer_config.json")), File.ReadAllText(Path.Combine(output, "tokenizer_config.json")));
        Assert.Equal(File.ReadAllText(Fixtures.Path("A2-llama-nf4-dq/generation_config.json")), File.ReadAllText(Path.Combine(output, "generation_config.json")));
    }

    [Fact]
    public void AnAdaptersOwnTokenizerFilesTakePrecedence()
    {
        var output = MergeA5(adapterTokenizer: true);
        Assert.Equal("""{"added_by": "adapter"}""", File.ReadAllText(Path.Combine(output, "tokenizer_config.json")));
        // Only the tokenizer files come from the adapter folder, not its config, weights or README.
        Assert.Equal(["README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("(`thaw merge`)", File.ReadAllText(Path.Combine(output, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void TheModelCardNamesTheBaseTheAdaptersAndTheirScalings()
    {
        var second = Adapter(temp, "second", AdapterConfig(2, 8, """["q_proj"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [2, 32], Ramp(64, 32)), F32($"base_model.model.{Q}.lora_B.weight", [32, 2], Ramp(64, 30)));
        var output = MergeA5(adapterTokenizer: false, (second, 0.5));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains($"base_model: \"{Fixtures.Path("A2-llama-nf4-dq")}\"", card, StringComparison.Ordinal);
        Assert.Contains("2 LoRA adapters", card, StringComparison.Ordinal);
        Assert.Contains("bitsandbytes", card, StringComparison.Ordinal);
        Assert.Contains($"| `{Fixtures.Path("A5-qlora-r8")}` | 1 | 14 | 8 | 16 | 2 | no |", card, StringComparison.Ordinal);
        Assert.Contains($"| `{second}` | 0.5 | 1 | 2 | 8 | 4 | no |", card, StringComparison.Ordinal);
    }
}
