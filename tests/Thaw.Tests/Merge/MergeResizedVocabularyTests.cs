using Thaw.Lora;
using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>
/// Adapters trained after adding tokens (spec/peft-lora.md §3.6): the saved embedding has more rows than the base,
/// and the embedding's LoRA and trained token rows are sized for the new vocabulary.
/// </summary>
public sealed class MergeResizedVocabularyTests : IDisposable
{
    private const string Q = "model.layers.0.self_attn.q_proj";
    private const string Embed = "model.embed_tokens";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly float[] Resized = Ramp(32, 16);

    private string Base() => Folder(temp, "base", LlamaConfig(), F32($"{Embed}.weight", [6, 4], Ramp(24, 12)), F32($"{Q}.weight", [4, 4], Ramp(16)), F32("lm_head.weight", [6, 4], Ramp(24, 5)));

    private string Merge(string adapter)
    {
        var output = temp.File("out");
        MergeRuns.Merge(Base(), output, [(adapter, 1.0)]);
        return output;
    }

    [Fact]
    public void AnEmbeddingLoraForTheResizedVocabularyIsAddedToTheSavedEmbedding()
    {
        float[] a = [0, 0, 0, 0, 0, 0, 0, 1];
        float[] b = [1, 2, 3, 4];
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["embed_tokens"]"""),
            F32($"base_model.model.{Embed}.base_layer.weight", [8, 4], Resized),
            F32($"base_model.model.{Embed}.lora_embedding_A", [1, 8], a), F32($"base_model.model.{Embed}.lora_embedding_B", [4, 1], b));
        var output = Merge(adapter);
        var embedding = ReadTensors(output)[$"{Embed}.weight"];
        Assert.Equal([8L, 4], embedding.Shape);
        Assert.Equal(Plus(Resized, Transpose(MatMul(b, a, 4, 1, 8), 4, 8), 2), embedding.Values);
        Assert.Equal(8, (int)Config(output)["vocab_size"]!);
    }

    [Fact]
    public void AnEmbeddingLoraSizedForTheOldVocabularyDoesNotFitTheSavedEmbedding()
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["embed_tokens"]"""),
            F32($"base_model.model.{Embed}.base_layer.weight", [8, 4], Resized),
            F32($"base_model.model.{Embed}.lora_embedding_A", [1, 6], Ramp(6)), F32($"base_model.model.{Embed}.lora_embedding_B", [4, 1], 1, 2, 3, 4));
        var error = Assert.Throws<LoraException>(() => Merge(adapter));
        Assert.Equal(LoraError.MergeRefused, error.Reason);
        Assert.Contains($"{FindingCodes.ShapeMismatch} at {Embed}", error.Message, StringComparison.Ordinal);
        Assert.Contains("[8, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainedTokenRowsMayBeNewTokensOfTheResizedEmbedding()
    {
        float[] row = [9, 9, 9, 9];
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", $$""", "trainable_token_indices": {"embed_tokens": [7]}"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32($"base_model.model.{Embed}.weight", [8, 4], Resized),
            F32($"base_model.model.{Embed}.token_adapter.trainable_tokens_delta", [1, 4], row));
        var embedding = ReadTensors(Merge(adapter))[$"{Embed}.weight"].Values;
        Assert.Equal([.. Resized.AsSpan(0, 28), .. row], embedding);
    }

    [Fact]
    public void AnAddedTensorTheBaseLacksIsWritten()
    {
        // A new classification head (modules_to_save=["score"]).
        float[] score = [1, 2, 3, 4, 5, 6, 7, 8];
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "modules_to_save": ["score"]"""),
            F32($"base_model.model.{Q}.lora_A.weight", [1, 4], 1, 0, 0, 0), F32($"base_model.model.{Q}.lora_B.weight", [4, 1], 1, 0, 0, 0),
            F32("base_model.model.score.weight", [2, 4], score));
        Assert.Equal(score, ReadTensors(Merge(adapter))["score.weight"].Values);
    }

    [Fact]
    public void TwoAdaptersReplacingTheSameTensorIsABadRequest()
    {
        var first = Adapter(temp, "first", AdapterConfig(1, 2, """["q_proj"]"""), F32("base_model.model.lm_head.weight", [6, 4], Ramp(24)));
        var second = Adapter(temp, "second", AdapterConfig(1, 2, """["q_proj"]"""), F32("base_model.model.lm_head.weight", [6, 4], Ramp(24, 1)));
        var output = temp.File("out");
        var error = Assert.Throws<LoraException>(() => MergeRuns.Merge(Base(), output, [(first, 1.0), (second, 1.0)]));
        Assert.Equal(LoraError.BadMergeRequest, error.Reason);
        Assert.False(Directory.Exists(output));
    }
}
