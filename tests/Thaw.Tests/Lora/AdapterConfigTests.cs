using System.Text.Json.Nodes;
using Thaw.Lora;

namespace Thaw.Tests.Lora;

public class AdapterConfigTests
{
    private static AdapterConfig Parse(string json) => AdapterConfig.Parse("adapter_config.json", (JsonObject)JsonNode.Parse(json)!);

    [Fact]
    public void ReadsTheQLoraFixtureAsPeftWroteIt()
    {
        var config = AdapterConfig.Load(Fixtures.Path("A5-qlora-r8"));
        Assert.Equal("LORA", config.PeftType);
        Assert.Equal(8, config.R);
        Assert.Equal(16, config.LoraAlpha);
        Assert.False(config.UseRsLora);
        Assert.Equal(2.0, config.Scaling(config.R, config.LoraAlpha));
        Assert.Equal(["gate_proj", "v_proj", "o_proj", "k_proj", "up_proj", "down_proj", "q_proj"], config.TargetModules);
        Assert.Equal("false", config.InitLoraWeights);
        Assert.Equal("A2-llama-nf4-dq", config.BaseModelNameOrPath);
        Assert.Empty(config.RefusedFeatures);
    }

    [Fact]
    public void RsLoraFixtureScalesByTheSquareRootOfR()
    {
        var config = AdapterConfig.Load(Fixtures.Path("A4-llama-rslora-r8"));
        Assert.True(config.UseRsLora);
        Assert.Equal(16 / Math.Sqrt(8), config.Scaling(8, 16));
    }

    [Fact]
    public void PatternsFollowPeftFirstMatchInJsonOrder()
    {
        // PEFT's get_pattern_key: re.match(rf"(.*\.)?({key})$", path) over the keys in JSON order; the first match wins.
        var config = Parse("""
            {"peft_type": "LORA", "r": 8, "lora_alpha": 16,
             "rank_pattern": {"q_proj": 4, "layers.0.self_attn.q_proj": 2, "mlp\\..*_proj": 16},
             "alpha_pattern": {"layers\\.1\\..*": 3}}
            """);
        Assert.Equal(4, config.RankFor("model.layers.0.self_attn.q_proj"));
        Assert.Equal(16, config.RankFor("model.layers.0.mlp.up_proj"));
        Assert.Equal(8, config.RankFor("model.layers.0.self_attn.k_proj"));
        // "q_proj" must match a whole trailing segment: "xq_proj" is not "q_proj".
        Assert.Equal(8, config.RankFor("model.layers.0.self_attn.xq_proj"));
        Assert.Equal(3, config.AlphaFor("model.layers.1.self_attn.v_proj"));
        Assert.Equal(16, config.AlphaFor("model.layers.0.self_attn.v_proj"));
    }

    [Fact]
    public void TargetModulesMayBeARegex()
    {
        var config = Parse("""{"peft_type": "LORA", "target_modules": ".*\\.(q|v)_proj"}""");
        Assert.Null(config.TargetModules);
        Assert.Equal(@".*\.(q|v)_proj", config.TargetModulesRegex);
    }

    [Fact]
    public void TrainableTokenIndicesAreAListForTheInputEmbeddingOrListsByModule()
    {
        Assert.Null(Parse("""{"peft_type": "LORA"}""").TrainableTokenIndices);
        Assert.Equal([5L, 7L], Parse("""{"peft_type": "LORA", "trainable_token_indices": [5, 7]}""").TrainableTokenIndices![""]);
        var byModule = Parse("""{"peft_type": "LORA", "trainable_token_indices": {"embed_tokens": [1], "lm_head": [2, 3]}}""").TrainableTokenIndices!;
        Assert.Equal([1L], byModule["embed_tokens"]);
        Assert.Equal([2L, 3L], byModule["lm_head"]);
    }

    [Theory]
    [InlineData("""[-1]""")]
    [InlineData("""["5"]""")]
    [InlineData("""[1.5]""")]
    [InlineData("""{"embed_tokens": 5}""")]
    [InlineData("""{"embed_tokens": [[1]]}""")]
    [InlineData("""5""")]
    public void MalformedTrainableTokenIndicesAreRefused(string value)
    {
        var e = Assert.Throws<LoraException>(() => Parse($$"""{"peft_type": "LORA", "trainable_token_indices": {{value}}}"""));
        Assert.Equal(LoraError.BadConfig, e.Reason);
        Assert.Contains("trainable_token_indices", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"peft_type": "LOHA"}""", "peft_type")]
    [InlineData("""{"peft_type": "LORA", "enable_lora": [true, false, true]}""", "enable_lora")]
    [InlineData("""{"peft_type": "LORA", "layer_replication": [[0, 4], [2, 5]]}""", "layer_replication")]
    [InlineData("""{"peft_type": "LORA", "use_qalora": true}""", "use_qalora")]
    [InlineData("""{"peft_type": "LORA", "alora_invocation_tokens": [1, 2]}""", "alora_invocation_tokens")]
    [InlineData("""{"peft_type": "LORA", "arrow_config": {"top_k": 3}}""", "arrow_config")]
    [InlineData("""{"peft_type": "LORA", "kasa_config": {"k": 1}}""", "kasa_config")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": "loftq"}""", "init_lora_weights")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": "pissa_niter_4"}""", "init_lora_weights")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": "corda"}""", "init_lora_weights")]
    public void RefusedFeaturesAreNamed(string json, string field)
    {
        var refused = Parse(json).RefusedFeatures;
        Assert.Equal(field, Assert.Single(refused).Field);
    }

    [Theory]
    [InlineData("""{"peft_type": "LORA", "enable_lora": null, "layer_replication": null, "use_qalora": false, "arrow_config": null}""")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": "gaussian"}""")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": true, "loftq_config": {}}""")]
    public void PlainLoraSettingsAreNotRefused(string json) => Assert.Empty(Parse(json).RefusedFeatures);

    [Theory]
    [InlineData("""{"r": 8}""")]
    [InlineData("""{"peft_type": 3}""")]
    [InlineData("""{"peft_type": "LORA", "r": "eight"}""")]
    [InlineData("""{"peft_type": "LORA", "r": 2.5}""")]
    [InlineData("""{"peft_type": "LORA", "r": 0}""")]
    [InlineData("""{"peft_type": "LORA", "lora_alpha": "16"}""")]
    [InlineData("""{"peft_type": "LORA", "use_rslora": "yes"}""")]
    [InlineData("""{"peft_type": "LORA", "target_modules": [1, 2]}""")]
    [InlineData("""{"peft_type": "LORA", "rank_pattern": {"q_proj": "4"}}""")]
    [InlineData("""{"peft_type": "LORA", "rank_pattern": ["q_proj"]}""")]
    [InlineData("""{"peft_type": "LORA", "init_lora_weights": 1}""")]
    public void MalformedConfigsAreRejected(string json)
    {
        var error = Assert.Throws<LoraException>(() => Parse(json));
        Assert.Equal(LoraError.BadConfig, error.Reason);
        Assert.Contains("adapter_config.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithoutConfigIsNotAnAdapter()
    {
        var error = Assert.Throws<LoraException>(() => AdapterConfig.Load(Fixtures.Path("A1-llama-bf16")));
        Assert.Equal(LoraError.NotAnAdapter, error.Reason);
    }

    [Fact]
    public void InvalidJsonIsRejectedNamingTheFile()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File(AdapterConfig.FileName), "{\"peft_type\": \"LORA\",");
        var error = Assert.Throws<LoraException>(() => AdapterConfig.Load(dir.Path));
        Assert.Equal(LoraError.BadConfig, error.Reason);
        Assert.Contains(dir.Path, error.Message, StringComparison.Ordinal);
    }
}
