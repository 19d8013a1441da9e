using System.Buffers.Binary;
using System.Text;
using Thaw.Analysis;
using Thaw.Models;
using Thaw.Tests.Models;

namespace Thaw.Tests.Analysis;

public class ImportanceMatrixTests
{
    private static string Dat => Fixtures.Path("A8-imatrix/imatrix.dat");

    private static string Gguf => Fixtures.Path("A8-imatrix/imatrix.gguf");

    [Fact]
    public void BothFormatsGiveBitIdenticalImportances()
    {
        var dat = ImportanceMatrix.Read(Dat);
        var gguf = ImportanceMatrix.Read(Gguf);
        Assert.Equal("dat", dat.Format);
        Assert.Equal("gguf", gguf.Format);
        Assert.Equal(14, dat.Entries.Count);
        Assert.Equal(dat.Entries.Keys.Order(), gguf.Entries.Keys.Order());
        foreach (var (name, values) in dat.Entries)
        {
            var other = gguf.Entries[name];
            Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), other.Select(BitConverter.SingleToInt32Bits));
            Assert.All(values, v => Assert.True(v > 0 && float.IsFinite(v)));
        }
        Assert.Equal(22, dat.ChunkCount);
        Assert.Equal(22, gguf.ChunkCount);
        Assert.Equal(["calib.txt"], gguf.Datasets);
        Assert.Single(dat.Datasets);
        Assert.EndsWith("calib.txt", dat.Datasets[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TheEntriesMapToTheFourteenA1Projections()
    {
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var analysis = ModelAnalyzer.Analyze(a1, new AnalysisSettings(), ImportanceMatrix.Read(Gguf), threads: 1);
        Assert.Equal(14, analysis.Modules.Count);
        Assert.All(analysis.Modules, m => Assert.NotNull(m.Error.WeightedError));
        var mapped = ImportanceMatrix.Read(Dat).ForModules(analysis.Modules.ToDictionary(m => m.Module, m => m.Shape[1]), "llama");
        Assert.Equal(analysis.Modules.Select(m => m.Module), mapped.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(128, mapped["model.layers.1.mlp.down_proj"].Length);
        Assert.Equal(32, mapped["model.layers.0.self_attn.q_proj"].Length);
    }

    [Fact]
    public void UniformImportanceGivesTheWeightError()
    {
        var values = Enumerable.Range(0, 64 * 8).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var source = new ArraySource("w", values, 64);
        var error = WeightErrorMeter.Measure(source, new AnalysisSettings(), Enumerable.Repeat(3f, 64).ToArray());
        Assert.Equal(error.RelativeError, error.WeightedError!.Value, 1e-12);
    }

    [Fact]
    public void ImportanceConcentratedOnOneColumnWeighsOnlyThatColumn()
    {
        var values = Enumerable.Range(0, 64 * 8).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var importance = new float[64];
        importance[5] = 1;
        var error = WeightErrorMeter.Measure(new ArraySource("w", values, 64), new AnalysisSettings(), importance);
        var deltaOnly = WeightErrorMeter.Measure(new ArraySource("w", values, 64), new AnalysisSettings());
        Assert.NotEqual(deltaOnly.RelativeError, error.WeightedError!.Value);
    }

    [Fact]
    public void AnImatrixWithOtherSizesIsRejected()
    {
        using var temp = new TempFolder();
        var path = temp.File("other.dat");
        File.WriteAllBytes(path, DatFile(("blk.0.attn_q.weight", 31)));
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var e = Assert.Throws<AnalysisException>(() => ModelAnalyzer.Analyze(a1, new AnalysisSettings(), ImportanceMatrix.Read(path), 1));
        Assert.Equal(AnalysisError.ImatrixSizeMismatch, e.Reason);
        Assert.Contains("31", e.Message, StringComparison.Ordinal);
        Assert.Contains("32 input features", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("blk.7.attn_q.weight")]
    [InlineData("blk.0.ssm_in.weight")]
    public void AnImatrixWithOtherNamesIsRejected(string name)
    {
        using var temp = new TempFolder();
        var path = temp.File("other.dat");
        File.WriteAllBytes(path, DatFile((name, 32)));
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var e = Assert.Throws<AnalysisException>(() => ModelAnalyzer.Analyze(a1, new AnalysisSettings(), ImportanceMatrix.Read(path), 1));
        Assert.Equal(AnalysisError.ImatrixNameMismatch, e.Reason);
        Assert.Equal(name, e.TensorName);
    }

    [Fact]
    public void ADatFileLargerThanAnyImatrixIsRefusedBeforeItIsRead()
    {
        using var temp = new TempFolder();
        var path = temp.File("huge.dat");
        // Sparse: no disk is used, and nothing may try to allocate it.
        using (var file = new FileStream(path, FileMode.CreateNew))
            file.SetLength(ImportanceMatrix.MaxDatBytes + 1);
        var e = Assert.Throws<AnalysisException>(() => ImportanceMatrix.Read(path));
        Assert.Equal(AnalysisError.BadImatrixFile, e.Reason);
        Assert.Contains($"more than the {ImportanceMatrix.MaxDatBytes}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACutShortDatFileIsRejected()
    {
        using var temp = new TempFolder();
        var path = temp.File("cut.dat");
        var bytes = File.ReadAllBytes(Dat);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Equal(AnalysisError.BadImatrixFile, Assert.Throws<AnalysisException>(() => ImportanceMatrix.Read(path)).Reason);
    }

    [Fact]
    public void ACutShortGgufFileIsRejected()
    {
        using var temp = new TempFolder();
        var path = temp.File("cut.gguf");
        var bytes = File.ReadAllBytes(Gguf);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        Assert.Equal(AnalysisError.BadImatrixFile, Assert.Throws<AnalysisException>(() => ImportanceMatrix.Read(path)).Reason);
    }

    [Fact]
    public void AGgufFileThatIsNoImatrixIsRejected()
    {
        using var temp = new TempFolder();
        var path = temp.File("model.gguf");
        var bytes = File.ReadAllBytes(Gguf);
        // The first "imatrix" is general.type's value: make it "imatrlx".
        var key = bytes.AsSpan().IndexOf("general.type"u8);
        var value = bytes.AsSpan(key).IndexOf("imatrix"u8) + key;
        Assert.True(value > key);
        bytes[value + 5] = (byte)'l';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<AnalysisException>(() => ImportanceMatrix.Read(path));
        Assert.Equal(AnalysisError.BadImatrixFile, e.Reason);
        Assert.Contains("imatrlx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADatFileWithBytesAfterTheTrailerIsRejected()
    {
        using var temp = new TempFolder();
        var path = temp.File("long.dat");
        File.WriteAllBytes(path, [.. File.ReadAllBytes(Dat), 1, 2, 3]);
        Assert.Equal(AnalysisError.BadImatrixFile, Assert.Throws<AnalysisException>(() => ImportanceMatrix.Read(path)).Reason);
    }

    [Fact]
    public void GgufNamesMapToHfModules()
    {
        var map = GgufModuleNames.Inverse(["model.layers.3.mlp.down_proj", "model.layers.0.self_attn.o_proj", "lm_head", "model.vision.proj"], "llama");
        Assert.Equal("model.layers.3.mlp.down_proj", map["blk.3.ffn_down.weight"]);
        Assert.Equal("model.layers.0.self_attn.o_proj", map["blk.0.attn_output.weight"]);
        Assert.Equal("lm_head", map["output.weight"]);
        Assert.Equal(3, map.Count);
    }

    // A legacy imatrix with one entry per (name, nval), ncall 1, values 1, no trailer.
    private static byte[] DatFile(params (string Name, int Values)[] entries)
    {
        using var stream = new MemoryStream();
        void Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            stream.Write(b);
        }
        Int(entries.Length);
        foreach (var (name, values) in entries)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            Int(bytes.Length);
            stream.Write(bytes);
            Int(1);
            Int(values);
            for (var i = 0; i < values; i++)
                Int(BitConverter.SingleToInt32Bits(1f));
        }
        return stream.ToArray();
    }
}
