using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>
/// Full tensors an adapter carries (spec/peft-lora.md §3.6, §3.10): modules_to_save copies, resized embeddings,
/// tied lm_head, trained token rows. Replacements come first, LoRA deltas on top.
/// </summary>
public sealed class MergeReplacementTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private const string Embed = "model.embed_tokens";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly float[] E = Ramp(24, 12);
    private static readonly float[] Head = Ramp(24, 5);
    private static readonly float[] Trained = [.. Ramp(24, 3).Select(v => v * 2)];

    private string Base(bool tied = false) => tied
        ? Folder(temp, "base", LlamaConfig(tied: true), F32($"{Embed}.weight", [6, 4], E), F32($"{Q}.weight", [4, 4], Ramp(16)))
        : Folder(temp, "base", LlamaConfig(), F32($"{Embed}.weight", [6, 4], E), F32($"{Q}.weight", [4, 4], Ramp(16)), F32("lm_head.weight", [6, 4], Head));

    private string Merge(string baseFolder, string adapter)
    {
        var output = temp.File("out");
        MergeRuns.Merge(baseFolder, output, [(adapter, 1.0)]);
        return output;
    }

    [Theory]
    [InlineData("base_model.model.lm_head.weight")]
    [InlineData("base_model.model.lm_head.modules_to_save.default.weight")]
    public void ModulesToSaveReplacesTheBaseTensor(string key)
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "modules_to_save": ["lm_head"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32(key, [6, 4], Trained));
        var merged = ReadTensors(Merge(Base(), adapter));
        Assert.Equal(Trained, merged["lm_head.weight"].Values);
        Assert.Equal(E, merged[$"{Embed}.weight"].Values);
        Assert.Equal(2f, merged[$"{Q}.weight"].Values[0]);
    }

    [Fact]
    public void ASavedEmbeddingReplacesTheBaseAndItsLoraIsAddedOnTop()
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["embed_tokens"]"""),
            F32($"base_model.model.{Embed}.base_layer.weight", [6, 4], Trained),
            F32($"base_model.model.{Embed}.lora_embedding_A", [1, 6], 0, 1, 0, 0, 0, 0), F32($"base_model.model.{Embed}.lora_embedding_B", [4, 1], 1, 1, 1, 1));
        var merged = ReadTensors(Merge(Base(), adapter))[$"{Embed}.weight"].Values;
        // ΔW = (B@A)ᵀ·2: 2 on every value of token 1.
        Assert.Equal(Trained.Select((v, i) => i / 4 == 1 ? v + 2 : v), merged);
    }

    [Fact]
    public void AResizedVocabularyChangesTheShapeAndVocabSize()
    {
        var embedding = Ramp(32, 16);
        var head = Ramp(32, 10);
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "modules_to_save": ["embed_tokens", "lm_head"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32($"base_model.model.{Embed}.weight", [8, 4], embedding), F32("base_model.model.lm_head.weight", [8, 4], head));
        var output = Merge(Base(), adapter);
        var merged = ReadTensors(output);
        Assert.Equal([8L, 4], merged[$"{Embed}.weight"].Shape);
        Assert.Equal(embedding, merged[$"{Embed}.weight"].Values);
        Assert.Equal([8L, 4], merged["lm_head.weight"].Shape);
        Assert.Equal(head, merged["lm_head.weight"].Values);
        Assert.Equal(8, (int)Config(output)["vocab_size"]!);
    }

    [Fact]
    public void LoraOnATiedLmHeadLandsInTheEmbedding()
    {
        // lm_head is [vocab 6, dim 4] like the embedding it shares: ΔW = B@A·2, B [6, 1], A [1, 4].
        float[] b = [1, 0, 0, -1, 0, 0];
        float[] a = [1, 2, 0, 0];
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["lm_head"]"""),
            F32("base_model.model.lm_head.lora_A.weight", [1, 4], a), F32("base_model.model.lm_head.lora_B.weight", [6, 1], b));
        var output = Merge(Base(tied: true), adapter);
        var merged = ReadTensors(output);
        Assert.False(merged.ContainsKey("lm_head.weight"));
        Assert.Equal(Plus(E, MatMul(b, a, 6, 1, 4), 2), merged[$"{Embed}.weight"].Values);
        Assert.True((bool)Config(output)["tie_word_embeddings"]!);
    }

    [Fact]
    public void ATrainedLmHeadOnATiedBaseIsWrittenUntied()
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "modules_to_save": ["lm_head"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32("base_model.model.lm_head.weight", [6, 4], Trained));
        var output = Merge(Base(tied: true), adapter);
        var merged = ReadTensors(output);
        Assert.Equal(Trained, merged["lm_head.weight"].Values);
        Assert.Equal(E, merged[$"{Embed}.weight"].Values);
        Assert.False((bool)Config(output)["tie_word_embeddings"]!);
    }

    [Fact]
    public void TrainableTokensOverwriteTheirRows()
    {
        float[] rows = [100, 101, 102, 103, -1, -2, -3, -4];
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "trainable_token_indices": [4, 1]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32($"base_model.model.{Embed}.token_adapter.trainable_tokens_delta", [2, 4], rows));
        var merged = ReadTensors(Merge(Base(), adapter))[$"{Embed}.weight"].Values;
        var expected = (float[])E.Clone();
        rows.AsSpan(0, 4).CopyTo(expected.AsSpan(16));
        rows.AsSpan(4, 4).CopyTo(expected.AsSpan(4));
        Assert.Equal(expected, merged);
    }
}
