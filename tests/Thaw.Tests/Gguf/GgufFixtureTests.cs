using Thaw.Formats.Gguf;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Tests.Gguf;

/// <summary>The reader on the four GGUF files llama.cpp's converters wrote (MANIFEST section A6).</summary>
public sealed class GgufFixtureTests
{
    public static TheoryData<string> AllFixtures => ["A6-llama-f32.gguf", "A6-llama-bf16.gguf", "A6-llama-q8_0.gguf", "A6-lora-r4-f32.gguf"];

    [Theory]
    [InlineData("A6-llama-f32.gguf", GgmlType.F32, 0u)]
    [InlineData("A6-llama-bf16.gguf", GgmlType.BF16, 32u)]
    [InlineData("A6-llama-q8_0.gguf", GgmlType.Q8_0, 7u)]
    public void ModelFilesHaveTheManifestHeaderAndMetadata(string fixture, GgmlType matrixType, uint fileType)
    {
        using var file = GgufFile.Open(Fixtures.Path(fixture));
        Assert.Equal(3u, file.Version);
        Assert.Equal(21, file.Tensors.Length);
        Assert.Equal(29, file.Metadata.Count);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(0, file.DataStart % 32);
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(fileType, file.FileType);

        var kv = file.Metadata;
        Assert.Equal("general.architecture", kv[0].Key);
        Assert.Equal("model", kv.GetString("general.type"));
        Assert.Equal("A1 Llama Bf16", kv.GetString("general.name"));
        Assert.Equal("2.1M", kv.GetString("general.size_label"));
        Assert.Equal(2u, kv.GetUInt32("llama.block_count"));
        Assert.Equal(256u, kv.GetUInt32("llama.context_length"));
        Assert.Equal(32u, kv.GetUInt32("llama.embedding_length"));
        Assert.Equal(128u, kv.GetUInt32("llama.feed_forward_length"));
        Assert.Equal(4u, kv.GetUInt32("llama.attention.head_count"));
        Assert.Equal(2u, kv.GetUInt32("llama.attention.head_count_kv"));
        Assert.Equal(10000f, kv.GetFloat32("llama.rope.freq_base"));
        Assert.Equal(1e-5f, kv.GetFloat32("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal(8u, kv.GetUInt32("llama.attention.key_length"));
        Assert.Equal(8u, kv.GetUInt32("llama.attention.value_length"));
        Assert.Equal(32000u, kv.GetUInt32("llama.vocab_size"));
        Assert.Equal(8u, kv.GetUInt32("llama.rope.dimension_count"));
        Assert.Equal(2u, kv.GetUInt32("general.quantization_version"));
        Assert.Equal("llama", kv.GetString("tokenizer.ggml.model"));
        Assert.Equal("default", kv.GetString("tokenizer.ggml.pre"));
        Assert.Equal(1u, kv.GetUInt32("tokenizer.ggml.bos_token_id"));
        Assert.Equal(2u, kv.GetUInt32("tokenizer.ggml.eos_token_id"));
        Assert.Equal(0u, kv.GetUInt32("tokenizer.ggml.unknown_token_id"));
        Assert.True(kv.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.False(kv.GetBool("tokenizer.ggml.add_sep_token"));
        Assert.False(kv.GetBool("tokenizer.ggml.add_eos_token"));

        var tokens = kv.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(32000, tokens.Count);
        Assert.Equal("<unk>", tokens[0]);
        Assert.Equal("<0x0A>", tokens[13]);
        Assert.Equal(32000, kv.GetFloat32Array("tokenizer.ggml.scores").Length);
        var types = kv.GetInt32Array("tokenizer.ggml.token_type");
        Assert.Equal(32000, types.Length);
        // <unk>, <s>, </s> are special added tokens of this tokenizer, so CONTROL (3); <0x00> is BYTE (6).
        Assert.Equal([3, 3, 3, 6], types[..4].ToArray());

        Assert.True(file.TryGetTensor("token_embd.weight", out var embed));
        Assert.Equal([32L, 32000], embed.Dimensions.ToArray());
        Assert.Equal([32000L, 32], embed.Shape.ToArray());
        Assert.Equal(matrixType, embed.Type);
        Assert.Equal(GgmlTypes.RowByteLength(matrixType, 32) * 32000, embed.ByteLength);
        AssertTensor(file, "output.weight", matrixType, 32, 32000);
        AssertTensor(file, "output_norm.weight", GgmlType.F32, 32);
        for (var layer = 0; layer < 2; layer++)
        {
            AssertTensor(file, $"blk.{layer}.attn_norm.weight", GgmlType.F32, 32);
            AssertTensor(file, $"blk.{layer}.ffn_norm.weight", GgmlType.F32, 32);
            AssertTensor(file, $"blk.{layer}.attn_q.weight", matrixType, 32, 32);
            AssertTensor(file, $"blk.{layer}.attn_k.weight", matrixType, 32, 16);
            AssertTensor(file, $"blk.{layer}.attn_v.weight", matrixType, 32, 16);
            AssertTensor(file, $"blk.{layer}.attn_output.weight", matrixType, 32, 32);
            AssertTensor(file, $"blk.{layer}.ffn_gate.weight", matrixType, 32, 128);
            AssertTensor(file, $"blk.{layer}.ffn_up.weight", matrixType, 32, 128);
            AssertTensor(file, $"blk.{layer}.ffn_down.weight", matrixType, 128, 32);
        }
    }

    [Fact]
    public void LoraAdapterHasTheManifestMetadataAndTensors()
    {
        using var file = GgufFile.Open(Fixtures.Path("A6-lora-r4-f32.gguf"));
        Assert.Equal("llama", file.Architecture);
        Assert.Equal("adapter", file.Metadata.GetString("general.type"));
        Assert.Equal("lora", file.Metadata.GetString("adapter.type"));
        Assert.Equal(8.0f, file.Metadata.GetFloat32("adapter.lora.alpha"));
        Assert.False(file.Metadata.ContainsKey("general.file_type"));
        Assert.Null(file.FileType);
        Assert.Equal(28, file.Tensors.Length);
        Assert.All(file.Tensors, t => Assert.Equal(GgmlType.F32, t.Type));
        Assert.All(file.Tensors, t => Assert.True(t.Name.EndsWith(".lora_a", StringComparison.Ordinal) || t.Name.EndsWith(".lora_b", StringComparison.Ordinal)));
        AssertTensor(file, "blk.0.attn_q.weight.lora_a", GgmlType.F32, 32, 4);
        AssertTensor(file, "blk.0.attn_q.weight.lora_b", GgmlType.F32, 4, 32);
        AssertTensor(file, "blk.1.attn_k.weight.lora_b", GgmlType.F32, 4, 16);
        AssertTensor(file, "blk.1.ffn_down.weight.lora_a", GgmlType.F32, 128, 4);
        AssertTensor(file, "blk.1.ffn_down.weight.lora_b", GgmlType.F32, 4, 32);
        // lora_a always comes right before its lora_b.
        for (var i = 0; i < file.Tensors.Length; i += 2)
            Assert.Equal(file.Tensors[i].Name[..^1] + "b", file.Tensors[i + 1].Name);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void TensorsAreDenseAndAlignedAndEndThePaddedFile(string fixture)
    {
        using var file = GgufFile.Open(Fixtures.Path(fixture));
        long expected = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(expected, tensor.Offset);
            expected = (tensor.Offset + tensor.ByteLength + 31) / 32 * 32;
        }
        Assert.Equal(file.FileLength, file.DataStart + expected);
    }

    [Fact]
    public void F32NormsAreTheHfBf16WeightsWidened()
    {
        using var gguf = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        using var hf = SafetensorsFile.Open(Fixtures.Path("A1-llama-bf16/model.safetensors"));
        foreach (var (ggufName, hfName) in new[]
                 {
                     ("blk.1.attn_norm.weight", "model.layers.1.input_layernorm.weight"),
                     ("output_norm.weight", "model.norm.weight"),
                     ("token_embd.weight", "model.embed_tokens.weight"),
                     ("blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight"),
                 })
        {
            Assert.True(gguf.TryGetTensor(ggufName, out var g));
            Assert.True(hf.TryGetTensor(hfName, out var h));
            var bf16 = new byte[h.ByteLength];
            hf.ReadBytes(h, 0, bf16);
            var expected = new float[h.ElementCount];
            FloatConversions.BFloat16ToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bf16), expected);
            var actual = new byte[g.ByteLength];
            gguf.ReadBytes(g, 0, actual);
            Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual).ToArray());
        }
    }

    [Fact]
    public void PositionalReadsOfPartsMatchTheWhole()
    {
        using var file = GgufFile.Open(Fixtures.Path("A6-llama-q8_0.gguf"));
        Assert.True(file.TryGetTensor("token_embd.weight", out var t));
        var whole = new byte[t.ByteLength];
        file.ReadBytes(t, 0, whole);
        var parts = new byte[t.ByteLength];
        Parallel.For(0, (int)t.RowCount, row =>
            file.ReadBytes(t, row * t.RowByteLength, parts.AsSpan((int)(row * t.RowByteLength), (int)t.RowByteLength)));
        Assert.Equal(whole, parts);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadBytes(t, 1, new byte[t.ByteLength]));
    }

    private static void AssertTensor(GgufFile file, string name, GgmlType type, params long[] ne)
    {
        Assert.True(file.TryGetTensor(name, out var tensor), name);
        Assert.Equal(type, tensor.Type);
        Assert.Equal(ne, tensor.Dimensions.ToArray());
    }
}
