using System.Buffers.Binary;
using System.Text;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Pipeline;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// The pipeline on the plain bf16 fixture model (A1): dtype casts checked against an independent conversion of the
/// fixture's bytes, byte-identical copies, and shards against the folder transformers wrote with max_shard_size="40KB".
/// </summary>
public sealed class DequantizeCastTests : IDisposable
{
    private static readonly string A1 = Fixtures.Path("A1-llama-bf16");
    private static readonly string A1Sharded = Fixtures.Path("A1-llama-bf16-sharded");
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Bf16ToF32WidensEveryValueExactly()
    {
        var output = _temp.File("f32");
        PipelineRuns.Dequantize(A1, output, DType.F32);

        using var source = SafetensorsFile.Open(Path.Combine(A1, "model.safetensors"));
        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        Assert.Equal(source.Tensors.Count, result.Tensors.Count);
        foreach (var tensor in source.Tensors)
        {
            Assert.True(result.TryGetTensor(tensor.Name, out var converted));
            Assert.Equal(DType.F32, converted.DType);
            Assert.Equal(tensor.Shape.ToArray(), converted.Shape.ToArray());
            var bf16 = source.ReadAll(tensor);
            var expected = new byte[4 * tensor.ElementCount];
            for (var i = 0; i < tensor.ElementCount; i++)
            {
                // bfloat16 is the top half of a float32.
                BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(4 * i), (uint)BinaryPrimitives.ReadUInt16LittleEndian(bf16.AsSpan(2 * i)) << 16);
            }
            AssertSameBytes(expected, result.ReadAll(converted), tensor.Name);
        }
    }

    [Fact]
    public void Bf16ToF16RoundsEveryValueOnceToNearestEven()
    {
        var output = _temp.File("f16");
        PipelineRuns.Dequantize(A1, output, DType.F16);

        using var source = SafetensorsFile.Open(Path.Combine(A1, "model.safetensors"));
        using var result = SafetensorsFile.Open(Path.Combine(output, "model.safetensors"));
        foreach (var tensor in source.Tensors)
        {
            Assert.True(result.TryGetTensor(tensor.Name, out var converted));
            Assert.Equal(DType.F16, converted.DType);
            var bf16 = source.ReadAll(tensor);
            var expected = new byte[2 * tensor.ElementCount];
            for (var i = 0; i < tensor.ElementCount; i++)
            {
                var value = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bf16.AsSpan(2 * i)) << 16);
                Assert.False(float.IsNaN(value)); // c10 and System.Half differ only in NaN payloads
                // System.Half's conversion from float rounds to nearest even (IEEE 754).
                BinaryPrimitives.WriteUInt16LittleEndian(expected.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)value));
            }
            AssertSameBytes(expected, result.ReadAll(converted), tensor.Name);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(DType.BF16)]
    public void UnchangedDtypeCopiesTheFilesByteForByte(DType? dtype)
    {
        var output = _temp.File("same");
        var summary = PipelineRuns.Dequantize(A1, output, dtype);

        // One shard of everything: the safetensors writer lays it out as the reference writer did.
        Assert.Equal(File.ReadAllBytes(Path.Combine(A1, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(A1, "config.json")), File.ReadAllBytes(Path.Combine(output, "config.json")));
        Assert.Equal(21, summary.TensorCount);
        Assert.Equal(["model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"], summary.Files);
    }

    [Fact]
    public void TokenizerAndGenerationFilesAreCopied()
    {
        var output = _temp.File("copy");
        PipelineRuns.Dequantize(A1, output, DType.F16);
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(A1, name)), File.ReadAllBytes(Path.Combine(output, name)));
        Assert.Equal(
            ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ShardingAt40KBReproducesTheTransformersFolderExactly()
    {
        // transformers saved A1 with max_shard_size="40KB"; the same limit must give the same shards, index and files.
        var output = _temp.File("sharded");
        PipelineRuns.Dequantize(A1, output, options: new PipelineOptions { MaxShardSize = 40_000 });

        var expected = PipelineRuns.ReadFolder(A1Sharded);
        var actual = PipelineRuns.ReadFolder(output);
        actual.Remove("tokenizer.json"); // A1-llama-bf16-sharded was saved without it.
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs from the fixture");
    }

    [Fact]
    public void ShardingF32AtTwiceTheLimitKeepsTheAssignmentAndDoublesTotalSize()
    {
        var output = _temp.File("sharded-f32");
        PipelineRuns.Dequantize(A1, output, DType.F32, new PipelineOptions { MaxShardSize = 80_000 });

        // Every tensor doubles, so the transformers index holds except for total_size.
        var fixtureIndex = Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(A1Sharded, SafetensorsIndex.FileName)));
        var expected = fixtureIndex.Replace("\"total_size\": 4157760", "\"total_size\": 8315520", StringComparison.Ordinal);
        Assert.NotEqual(fixtureIndex, expected);
        Assert.Equal(expected, Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(output, SafetensorsIndex.FileName))));
        foreach (var shard in SafetensorsIndex.Load(Path.Combine(A1Sharded, SafetensorsIndex.FileName)).ShardFiles)
        {
            using var source = SafetensorsFile.Open(Path.Combine(A1Sharded, shard));
            using var result = SafetensorsFile.Open(Path.Combine(output, shard));
            Assert.Equal(source.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), result.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.All(result.Tensors, t => Assert.Equal(DType.F32, t.DType));
        }
    }

    [Fact]
    public void ShardedInputIsReadThroughItsIndex()
    {
        var output = _temp.File("from-sharded");
        PipelineRuns.Dequantize(A1Sharded, output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(A1, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheBytes()
    {
        var small = new PipelineOptions { MaxShardSize = 100_000, MaxMemory = 64 << 10 };
        var one = _temp.File("t1");
        var four = _temp.File("t4");
        PipelineRuns.Dequantize(A1, one, DType.F16, small with { Threads = 1 });
        PipelineRuns.Dequantize(A1, four, DType.F16, small with { Threads = 4 });
        var a = PipelineRuns.ReadFolder(one);
        var b = PipelineRuns.ReadFolder(four);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a)
            Assert.True(bytes.AsSpan().SequenceEqual(b[name]), name);
    }

    [Fact]
    public void TinyMemoryLimitStreamsInSmallChunksWithTheSameResult()
    {
        var roomy = _temp.File("roomy");
        var tight = _temp.File("tight");
        PipelineRuns.Dequantize(A1, roomy, DType.F32);
        // 2 KiB for 2 threads: 1 KiB chunks, a few rows of the [32000, 32] embedding each (128 bytes of f32 a row).
        using (var model = Thaw.Models.HfModel.Open(A1))
        {
            var plan = Thaw.Pipeline.Dequantization.Dequantizer.Plan(model, tight, DType.F32, new PipelineOptions { MaxMemory = 2048, Threads = 2 });
            var embedding = plan.Tensors.Single(t => t.Tensor.Name == "model.embed_tokens.weight");
            Assert.Equal(8, embedding.RowsPerChunk);
            Assert.Equal(4000, embedding.ChunkCount);
            Assert.True(plan.MemoryBound <= 2048);
            Thaw.Pipeline.HfFolder.HfFolderOutput.Write(plan);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(roomy, "model.safetensors")), File.ReadAllBytes(Path.Combine(tight, "model.safetensors")));
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string tensor)
    {
        Assert.Equal(expected.Length, actual.Length);
        var first = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(first == expected.Length, $"{tensor}: first difference at byte {first}");
    }
}
