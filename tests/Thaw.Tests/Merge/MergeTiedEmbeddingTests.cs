using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>spec/peft-lora.md §3.10: a tied lm_head shares the embedding's tensor until the adapter carries its own copy.</summary>
public sealed class MergeTiedEmbeddingTests : IDisposable
{
    private const string Embed = "model.embed_tokens";
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly float[] E = Ramp(24, 12);
    private static readonly float[] HeadB = [1, 0, 0, -1, 0, 2];
    private static readonly float[] HeadA = [1, 2, 0, 0];
    private static readonly float[] EmbedA = [0, 1, 0, 0, 0, 0];
    private static readonly float[] EmbedB = [1, 1, 1, 1];

    private string TiedBase() => Folder(temp, "base", LlamaConfig(tied: true), F32($"{Embed}.weight", [6, 4], E));

    private static Models.TestWeights.Tensor[] HeadLora =>
    [
        F32("base_model.model.lm_head.lora_A.weight", [1, 4], HeadA),
        F32("base_model.model.lm_head.lora_B.weight", [6, 1], HeadB),
    ];

    private static Models.TestWeights.Tensor[] EmbedLora =>
    [
        F32($"base_model.model.{Embed}.lora_embedding_A", [1, 6], EmbedA),
        F32($"base_model.model.{Embed}.lora_embedding_B", [4, 1], EmbedB),
    ];

    private string Merge(string adapter)
    {
        var output = temp.File("out");
        MergeRuns.Merge(TiedBase(), output, [(adapter, 1.0)]);
        return output;
    }

    [Fact]
    public void LoraOnTheEmbeddingAndTheTiedLmHeadAreBothAddedToTheSharedTensor()
    {
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["embed_tokens", "lm_head"]"""), [.. HeadLora, .. EmbedLora]);
        var output = Merge(adapter);
        var merged = ReadTensors(output);
        Assert.False(merged.ContainsKey("lm_head.weight"));
        var expected = Plus(Plus(E, MatMul(HeadB, HeadA, 6, 1, 4), 2), Transpose(MatMul(EmbedB, EmbedA, 4, 1, 6), 4, 6), 2);
        Assert.Equal(expected, merged[$"{Embed}.weight"].Values);
        Assert.True((bool)Config(output)["tie_word_embeddings"]!);
    }

    [Fact]
    public void LoraOnAnUntiedLmHeadCopyLandsInTheCopyNotTheEmbedding()
    {
        var trained = Ramp(24, 3);
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["lm_head"]""", """, "modules_to_save": ["lm_head"]"""),
            [.. HeadLora, F32("base_model.model.lm_head.base_layer.weight", [6, 4], trained)]);
        var output = Merge(adapter);
        var merged = ReadTensors(output);
        Assert.Equal(Plus(trained, MatMul(HeadB, HeadA, 6, 1, 4), 2), merged["lm_head.weight"].Values);
        Assert.Equal(E, merged[$"{Embed}.weight"].Values);
        Assert.False((bool)Config(output)["tie_word_embeddings"]!);
    }
}
