using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Tests.Safetensors;

/// <summary>The reader against the real files written by transformers / PEFT (safetensors 0.8.0).</summary>
public class SafetensorsFixtureTests
{
    public static TheoryData<string> FixtureFiles() => [.. SafetensorsTestFiles.AllFixtureSafetensors()];

    [Fact]
    public void EveryFixtureIsCovered()
    {
        // Guards the theory below against silently running on nothing.
        Assert.True(SafetensorsTestFiles.AllFixtureSafetensors().Count() >= 10);
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void FixtureAgreesWithInventory(string relativePath)
    {
        var path = SafetensorsTestFiles.Fixture(relativePath);
        using var inventory = JsonDocument.Parse(File.ReadAllBytes(SafetensorsTestFiles.Fixture("inventory.json")));
        var expected = inventory.RootElement.GetProperty(relativePath);
        Assert.Equal(expected.GetProperty("bytes").GetInt64(), new FileInfo(path).Length);
        Assert.Equal(expected.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));

        using var file = SafetensorsFile.Open(path);

        var expectedMetadata = expected.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(expectedMetadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key).Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

        var expectedTensors = expected.GetProperty("tensors").EnumerateObject().ToList();
        Assert.Equal(expectedTensors.Count, file.Tensors.Count);
        foreach (var entry in expectedTensors)
        {
            Assert.True(file.TryGetTensor(entry.Name, out var tensor), entry.Name);
            Assert.Equal(entry.Value[0].GetString(), DTypes.SafetensorsName(tensor.DType));
            Assert.Equal(entry.Value[1].EnumerateArray().Select(d => d.GetInt64()), tensor.Shape.ToArray());
        }

        // Data order: contiguous from the data start to the end of the file.
        var position = file.DataStart;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(position, file.GetFileOffset(tensor));
            position += tensor.ByteLength;
        }
        Assert.Equal(new FileInfo(path).Length, position);
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void ReadBytesReturnsTheFileBytesAtTheHeaderOffsets(string relativePath)
    {
        // The offsets come from an independent parse of the header with System.Text.Json's DOM.
        var path = SafetensorsTestFiles.Fixture(relativePath);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        using var file = SafetensorsFile.Open(path);
        foreach (var tensor in file.Tensors)
        {
            var offsets = header.RootElement.GetProperty(tensor.Name).GetProperty("data_offsets");
            var begin = 8 + headerLength + offsets[0].GetInt32();
            var end = 8 + headerLength + offsets[1].GetInt32();
            Assert.Equal(bytes[begin..end], file.ReadAll(tensor));
        }
    }

    [Fact]
    public void KnownValuesOfTheTinyLlama()
    {
        // Values read with Python's struct module from the fixture (model.norm.weight = 1 + 0.1 N(0,1) in bf16).
        using var file = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16/model.safetensors"));
        Assert.Equal(2208, file.HeaderLength);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, file.Metadata);
        Assert.Equal(21, file.Tensors.Count);
        Assert.Equal("lm_head.weight", file.Tensors[0].Name);

        Assert.True(file.TryGetTensor("model.norm.weight", out var norm));
        Assert.Equal(4159912, file.GetFileOffset(norm));
        var normBytes = file.ReadAll(norm);
        Assert.Equal([0x3f88, 0x3f8d, 0x3f7a, 0x3f88], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(normBytes.AsSpan(2 * i))));
        Assert.Equal(0x3f76, BinaryPrimitives.ReadUInt16LittleEndian(normBytes.AsSpan(62)));

        Assert.True(file.TryGetTensor("model.embed_tokens.weight", out var embed));
        Assert.Equal((DType.BF16, 2048000L), (embed.DType, embed.ByteLength));
        Assert.Equal([32000L, 32L], embed.Shape.ToArray());
        var row = new byte[64];
        file.ReadRows(embed, 0, 1, row);
        Assert.Equal([0x3bb4, 0xbd83, 0xbccf, 0xbcbb], Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(row.AsSpan(2 * i))));
        var last = new byte[2];
        file.ReadBytes(embed, embed.ByteLength - 2, last);
        Assert.Equal(0xbd0d, BinaryPrimitives.ReadUInt16LittleEndian(last));
    }

    [Fact]
    public void KnownValuesOfTheQuantizedAndAdapterFiles()
    {
        using (var nf4 = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A2-llama-nf4-dq/model.safetensors")))
        {
            Assert.True(nf4.TryGetTensor("model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__nf4", out var state));
            Assert.Equal(DType.U8, state.DType);
            Assert.StartsWith("{\"quant_type\": \"nf4\", \"blocksize\": 64,", Encoding.UTF8.GetString(nf4.ReadAll(state)), StringComparison.Ordinal);
            Assert.True(nf4.TryGetTensor("model.layers.0.self_attn.q_proj.weight", out var codes));
            Assert.Equal([512L, 1L], codes.Shape.ToArray());
            Assert.Equal(4129690, nf4.GetFileOffset(codes));
            Assert.Equal([0xb5, 0x53, 0x33, 0xa7], nf4.ReadAll(codes)[..4]);
        }
        using var adapter = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A5-qlora-r8/adapter_model.safetensors"));
        Assert.True(adapter.TryGetTensor("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", out var loraB));
        var values = adapter.ReadAll(loraB);
        Assert.Equal(0.0003125956282019615f, BinaryPrimitives.ReadSingleLittleEndian(values));
        Assert.Equal(0.004052165430039167f, BinaryPrimitives.ReadSingleLittleEndian(values.AsSpan(values.Length - 4)));
    }

    [Fact]
    public void ConcurrentReadsReturnTheSameBytes()
    {
        using var file = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16/model.safetensors"));
        Assert.True(file.TryGetTensor("lm_head.weight", out var head));
        var whole = file.ReadAll(head);
        var chunks = new byte[320][];
        Parallel.For(0, 320, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c =>
        {
            chunks[c] = new byte[100 * 64];
            file.ReadRows(head, c * 100, 100, chunks[c]);
        });
        Assert.Equal(whole, chunks.SelectMany(c => c));
    }

    [Fact]
    public void ReadsOutsideTheTensorAreRefused()
    {
        using var file = SafetensorsFile.Open(SafetensorsTestFiles.Fixture("A1-llama-bf16/model.safetensors"));
        Assert.True(file.TryGetTensor("model.norm.weight", out var norm));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadBytes(norm, 1, new byte[64]));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.ReadBytes(norm, -1, new byte[2]));
        Assert.Throws<ArgumentException>(() => file.ReadBytes(norm with { Name = "nope" }, 0, new byte[2]));
        Assert.False(file.TryGetTensor("nope", out _));
    }
}
