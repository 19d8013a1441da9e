using Thaw.Formats.Gguf;

namespace Thaw.Tests.Gguf;

/// <summary>Reading a converter-written file and writing it again with <see cref="GgufWriter"/> gives the same bytes.</summary>
public sealed class GgufRewriteTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [MemberData(nameof(GgufFixtureTests.AllFixtures), MemberType = typeof(GgufFixtureTests))]
    public void RewriteIsByteIdentical(string fixture)
    {
        var source = Fixtures.Path(fixture);
        var target = _folder.File(fixture);
        using (var file = GgufFile.Open(source))
        {
            using var writer = GgufWriter.Create(target, file.Metadata,
                file.Tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, t.Type)));
            Assert.Equal(file.DataStart, writer.Layout.DataStart);
            // Rows in reverse order and from several threads: offsets are fixed up front.
            Parallel.ForEach(file.Tensors.Reverse(), tensor =>
            {
                var row = new byte[tensor.RowByteLength];
                for (var r = tensor.RowCount - 1; r >= 0; r--)
                {
                    file.ReadBytes(tensor, r * row.Length, row);
                    writer.Write(tensor.Name, r * row.Length, row);
                }
            });
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(target));
    }

    [Fact]
    public void IncompleteWriteIsRefusedAndLeavesNothing()
    {
        var path = _folder.File("partial.gguf");
        using var writer = GgufWriter.Create(path, [new("general.architecture", GgufValue.FromString("llama"))],
            [new GgufTensorSpec("a.weight", [32, 2], GgmlType.F32)]);
        writer.Write("a.weight", 0, new byte[128]);
        var error = Assert.Throws<GgufException>(writer.Complete);
        Assert.Equal(GgufError.IncompleteWrite, error.Reason);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void OverlappingWriteIsRefused()
    {
        using var writer = GgufWriter.Create(_folder.File("o.gguf"), [], [new GgufTensorSpec("a", [32], GgmlType.F32)]);
        writer.Write("a", 0, new byte[64]);
        Assert.Equal(GgufError.OverlappingWrite, Assert.Throws<GgufException>(() => writer.Write("a", 60, new byte[8])).Reason);
    }

    [Fact]
    public void WrittenFileReadsBackWithEveryValueType()
    {
        var path = _folder.File("all.gguf");
        KeyValuePair<string, GgufValue>[] kv =
        [
            new("u8", GgufValue.FromUInt8(200)),
            new("i8", GgufValue.FromInt8(-100)),
            new("u16", GgufValue.FromUInt16(60000)),
            new("i16", GgufValue.FromInt16(-30000)),
            new("u32", GgufValue.FromUInt32(4_000_000_000)),
            new("i32", GgufValue.FromInt32(-2_000_000_000)),
            new("f32", GgufValue.FromFloat32(0.1f)),
            new("b", GgufValue.FromBool(true)),
            new("s", GgufValue.FromString("héllo ▁")),
            new("u64", GgufValue.FromUInt64(ulong.MaxValue)),
            new("i64", GgufValue.FromInt64(long.MinValue)),
            new("f64", GgufValue.FromFloat64(0.1)),
            new("a.f32", GgufValue.FromArray([1f, -2.5f])),
            new("a.i32", GgufValue.FromArray([1, -2, 3])),
            new("a.s", GgufValue.FromStrings(["a", "", "Ġthe"])),
            new("a.empty", GgufValue.FromArray(ReadOnlySpan<uint>.Empty)),
            new("general.alignment", GgufValue.FromUInt32(64)),
        ];
        using (var writer = GgufWriter.Create(path, kv, [new GgufTensorSpec("t", [32, 3], GgmlType.Q8_0), new GgufTensorSpec("n", [5], GgmlType.F32)]))
        {
            writer.Write("t", 0, Enumerable.Range(0, 102).Select(i => (byte)i).ToArray());
            writer.Write("n", 0, new byte[20]);
            writer.Complete();
        }
        using var file = GgufFile.Open(path);
        Assert.Equal(64, file.Alignment);
        Assert.Equal(0, file.DataStart % 64);
        Assert.Equal(file.DataStart + 128 + 64, file.FileLength);
        var m = file.Metadata;
        Assert.Equal(kv.Select(p => p.Key), m.Select(p => p.Key));
        Assert.Equal(kv.Select(p => p.Value.Type), m.Select(p => p.Value.Type));
        Assert.Equal(200, m.Get("u8").AsUInt8());
        Assert.Equal(-100, m.Get("i8").AsInt8());
        Assert.Equal(60000, m.Get("u16").AsUInt16());
        Assert.Equal(-30000, m.Get("i16").AsInt16());
        Assert.Equal(4_000_000_000u, m.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, m.GetInt32("i32"));
        Assert.Equal(0.1f, m.GetFloat32("f32"));
        Assert.True(m.GetBool("b"));
        Assert.Equal("héllo ▁", m.GetString("s"));
        Assert.Equal(ulong.MaxValue, m.GetUInt64("u64"));
        Assert.Equal(long.MinValue, m.Get("i64").AsInt64());
        Assert.Equal(0.1, m.Get("f64").AsFloat64());
        Assert.Equal([1f, -2.5f], m.GetFloat32Array("a.f32").ToArray());
        Assert.Equal([1, -2, 3], m.GetInt32Array("a.i32").ToArray());
        Assert.Equal(["a", "", "Ġthe"], m.GetStringArray("a.s"));
        Assert.Equal(0, m.Get("a.empty").Length);
        Assert.Equal("array[string] of 3", m.Get("a.s").ToString());
        Assert.Equal(GgufError.WrongValueType, Assert.Throws<GgufException>(() => m.GetUInt32("u64")).Reason);
        Assert.Equal(GgufError.MissingKey, Assert.Throws<GgufException>(() => m.GetUInt32("nope")).Reason);
        Assert.True(file.TryGetTensor("t", out var t));
        var data = new byte[102];
        file.ReadBytes(t, 0, data);
        Assert.Equal(Enumerable.Range(0, 102).Select(i => (byte)i), data);
    }

    [Fact]
    public void VocabOnlyFileEndsAfterTheLastKeyValue()
    {
        var path = _folder.File("vocab.gguf");
        using (var writer = GgufWriter.Create(path, [new("k", GgufValue.FromUInt8(1))], []))
            writer.Complete();
        // magic + version + two counts, then the key/value: 8 + 1 + 4 + 1 bytes; no padding.
        Assert.Equal(24 + 14, new FileInfo(path).Length);
        using var file = GgufFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Equal(38, file.DataStart);
    }

    [Theory]
    [InlineData("general.alignment", GgufError.InvalidAlignment)]
    [InlineData("nested", GgufError.UnwritableValue)]
    public void WriterRefusesWhatLlamaCppCannotRead(string key, GgufError reason)
    {
        var value = key == "nested"
            ? GgufValue.FromArrays([GgufValue.FromArray([1u])])
            : GgufValue.FromUInt64(32);
        var error = Assert.Throws<GgufException>(() => GgufLayout.Create([new(key, value)], []));
        Assert.Equal(reason, error.Reason);
    }

    [Theory]
    [InlineData("a", 33, GgmlType.Q8_0, GgufError.RowNotBlockAligned)]
    [InlineData("a", 255, GgmlType.Q4_K, GgufError.RowNotBlockAligned)]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", 32, GgmlType.F32, GgufError.TensorNameTooLong)]
    public void WriterRefusesBadTensors(string name, long ne0, GgmlType type, GgufError reason)
    {
        var error = Assert.Throws<GgufException>(() => GgufLayout.Create([], [new GgufTensorSpec(name, [ne0, 2], type)]));
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void WriterRefusesDuplicates()
    {
        Assert.Equal(GgufError.DuplicateTensor, Assert.Throws<GgufException>(() => GgufLayout.Create([],
            [new GgufTensorSpec("a", [32], GgmlType.F32), new GgufTensorSpec("a", [32], GgmlType.F32)])).Reason);
        Assert.Equal(GgufError.DuplicateKey, Assert.Throws<GgufException>(() => GgufLayout.Create(
            [new("k", GgufValue.FromBool(true)), new("k", GgufValue.FromBool(false))], [])).Reason);
    }
}
