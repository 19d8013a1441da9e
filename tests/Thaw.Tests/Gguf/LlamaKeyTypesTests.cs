using Thaw.Formats.Gguf;

namespace Thaw.Tests.Gguf;

/// <summary>The writer refuses the key types llama.cpp's loader would refuse (GGUF spec section 2.1).</summary>
public sealed class LlamaKeyTypesTests
{
    public static TheoryData<string, GgufValue> Refused => new()
    {
        { "llama.block_count", GgufValue.FromUInt64(2) },
        { "qwen2.context_length", GgufValue.FromInt32(32768) },
        { "llama.attention.head_count_kv", GgufValue.FromUInt64(8) },
        { "llama.rope.freq_base", GgufValue.FromFloat64(10000) },
        { "llama.attention.layer_norm_rms_epsilon", GgufValue.FromFloat64(1e-5) },
        { "llama.rope.scaling.yarn_beta_fast", GgufValue.FromFloat64(32) },
        { "llama.rope.scaling.type", GgufValue.FromUInt32(1) },
        { "general.file_type", GgufValue.FromInt32(7) },
        { "general.architecture", GgufValue.FromStrings(["llama"]) },
        { "tokenizer.ggml.bos_token_id", GgufValue.FromInt32(1) },
        { "tokenizer.ggml.add_bos_token", GgufValue.FromUInt8(1) },
        { "tokenizer.ggml.tokens", GgufValue.FromString("<s>") },
        { "tokenizer.ggml.scores", GgufValue.FromArray([0.0, 1.0]) },
        { "tokenizer.ggml.token_type", GgufValue.FromArray([1u, 3u]) },
        { "adapter.lora.alpha", GgufValue.FromFloat64(8) },
        { "llama.feed_forward_length", GgufValue.FromArray([1f, 2f]) },
    };

    public static TheoryData<string, GgufValue> Accepted => new()
    {
        { "llama.block_count", GgufValue.FromUInt32(2) },
        { "llama.feed_forward_length", GgufValue.FromArray([11008u, 11008u]) },
        { "llama.attention.head_count", GgufValue.FromArray([32, 32]) },
        { "tokenizer.ggml.padding_token_id", GgufValue.FromUInt32(0) },
        { "tokenizer.ggml.token_type", GgufValue.FromArray([1, 3]) },
        { "general.size_label", GgufValue.FromString("8B") },
        { "general.tags", GgufValue.FromStrings(["a"]) },
        { "custom.block_count_x", GgufValue.FromUInt64(1) },
        { "adapter.alora.invocation_tokens", GgufValue.FromArray([1u, 2u]) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void WriterRefusesTypesTheLoaderRefuses(string key, GgufValue value)
    {
        Assert.NotNull(LlamaKeyTypes.Check(key, value));
        var error = Assert.Throws<GgufException>(() => GgufLayout.Create([new(key, value)], []));
        Assert.Equal(GgufError.WrongValueType, error.Reason);
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("llama.cpp requires", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void WriterAcceptsTheRequiredTypesAndUnknownKeys(string key, GgufValue value)
    {
        Assert.Null(LlamaKeyTypes.Check(key, value));
        GgufLayout.Create([new(key, value)], []);
    }

    [Theory]
    [MemberData(nameof(GgufFixtureTests.AllFixtures), MemberType = typeof(GgufFixtureTests))]
    public void TheConvertersFilesPass(string fixture)
    {
        using var file = GgufFile.Open(Fixtures.Path(fixture));
        Assert.All(file.Metadata, p => Assert.Null(LlamaKeyTypes.Check(p.Key, p.Value)));
    }
}
