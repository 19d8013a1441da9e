using static Thaw.Tests.Merge.TinyMerges;

namespace Thaw.Tests.Merge;

/// <summary>
/// DoRA (spec/peft-lora.md §3.4) on hand-built tiny models: W' = m / ‖W + ΔW‖ · (W + ΔW), the norm per output feature,
/// with values chosen so each norm is a whole number and each factor a power of two.
/// </summary>
public sealed class MergeDoraTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    // Output features as rows. Row 0 becomes [3, 4, 0, 0] once ΔW (2 at [0, 0]) is added: norms 5, 5, 2, 4.
    private static readonly float[] Rows = [1, 4, 0, 0, 0, 0, 3, 4, 2, 0, 0, 0, 0, 0, 0, 4];
    private static readonly float[] Magnitude = [10, 5, 1, 8];
    // Factors 2, 1, 0.5, 2.
    private static readonly float[] ExpectedRows = [6, 8, 0, 0, 0, 0, 3, 4, 1, 0, 0, 0, 0, 0, 0, 8];
    private static readonly float[] UnitA = [1, 0, 0, 0];

    private static float[] Transposed(float[] square) => [.. Enumerable.Range(0, 16).Select(i => square[(i % 4) * 4 + i / 4])];

    private Dictionary<string, Read> Merge(string baseFolder, string adapter)
    {
        var output = temp.File("out");
        MergeRuns.Merge(baseFolder, output, [(adapter, 1.0)]);
        return ReadTensors(output);
    }

    [Fact]
    public void LinearRescalesEachRowToItsMagnitude()
    {
        const string q = "model.layers.0.self_attn.q_proj";
        var baseFolder = Folder(temp, "base", LlamaConfig(), F32($"{q}.weight", [4, 4], Rows));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["q_proj"]""", """, "use_dora": true"""),
            F32($"base_model.model.{q}.lora_A.weight", [1, 4], UnitA), F32($"base_model.model.{q}.lora_B.weight", [4, 1], UnitA),
            F32($"base_model.model.{q}.lora_magnitude_vector", [4], Magnitude));
        Assert.Equal(ExpectedRows, Merge(baseFolder, adapter)[$"{q}.weight"].Values);
    }

    [Fact]
    public void Gpt2Conv1DRescalesEachColumnToItsMagnitude()
    {
        // Stored [in, out]: the output features are columns, so the base and the expected result are the transposes.
        const string c = "transformer.h.0.attn.c_proj";
        var baseFolder = Folder(temp, "base", Gpt2Config, F32("transformer.wte.weight", [6, 4], Ramp(24)), F32($"{c}.weight", [4, 4], Transposed(Rows)));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["c_proj"]""", """, "use_dora": true, "fan_in_fan_out": true"""),
            F32($"base_model.model.{c}.lora_A.weight", [1, 4], UnitA), F32($"base_model.model.{c}.lora_B.weight", [4, 1], UnitA),
            F32($"base_model.model.{c}.lora_magnitude_vector", [4], Magnitude));
        Assert.Equal(Transposed(ExpectedRows), Merge(baseFolder, adapter)[$"{c}.weight"].Values);
    }

    [Fact]
    public void EmbeddingRescalesEachDimensionOverTheVocabulary()
    {
        // [vocab 4, dim 4]: m has one value per dimension and the norm runs down each column.
        const string e = "model.embed_tokens";
        var baseFolder = Folder(temp, "base", LlamaConfig(vocab: 4), F32($"{e}.weight", [4, 4], Transposed(Rows)));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["embed_tokens"]""", """, "use_dora": true"""),
            F32($"base_model.model.{e}.lora_embedding_A", [1, 4], UnitA), F32($"base_model.model.{e}.lora_embedding_B", [4, 1], UnitA),
            F32($"base_model.model.{e}.lora_magnitude_vector", [4], Magnitude));
        Assert.Equal(Transposed(ExpectedRows), Merge(baseFolder, adapter)[$"{e}.weight"].Values);
    }

    [Fact]
    public void Conv2dRescalesEachOutputChannelOverItsInputsAndKernel()
    {
        // The rows above as a [out 4, in 1, 2, 2] kernel; PEFT's conv magnitude is [1, out, 1, 1].
        const string conv = "model.patch.conv";
        var baseFolder = Folder(temp, "base", LlamaConfig(), F32($"{conv}.weight", [4, 1, 2, 2], Rows));
        var adapter = Adapter(temp, "adapter", AdapterConfig(1, 2, """["conv"]""", """, "use_dora": true"""),
            F32($"base_model.model.{conv}.lora_A.weight", [1, 1, 2, 2], UnitA), F32($"base_model.model.{conv}.lora_B.weight", [4, 1, 1, 1], UnitA),
            F32($"base_model.model.{conv}.lora_magnitude_vector", [1, 4, 1, 1], Magnitude));
        Assert.Equal(ExpectedRows, Merge(baseFolder, adapter)[$"{conv}.weight"].Values);
    }

    [Fact]
    public void ASecondDoraAdapterTakesItsNormsOfTheAlreadyMergedWeight()
    {
        const string q = "model.layers.0.self_attn.q_proj";
        var baseFolder = Folder(temp, "base", LlamaConfig(), F32($"{q}.weight", [4, 4], Rows));
        var config = AdapterConfig(1, 2, """["q_proj"]""", """, "use_dora": true""");
        var first = Adapter(temp, "first", config,
            F32($"base_model.model.{q}.lora_A.weight", [1, 4], UnitA), F32($"base_model.model.{q}.lora_B.weight", [4, 1], UnitA),
            F32($"base_model.model.{q}.lora_magnitude_vector", [4], Magnitude));
        // Adds 2 at [3, 3]: row 3 of the first result [0, 0, 0, 8] becomes [0, 0, 0, 10]; m 5 halves it. Other rows keep their norms.
        float[] last = [0, 0, 0, 1];
        var second = Adapter(temp, "second", config,
            F32($"base_model.model.{q}.lora_A.weight", [1, 4], last), F32($"base_model.model.{q}.lora_B.weight", [4, 1], last),
            F32($"base_model.model.{q}.lora_magnitude_vector", [4], 10, 5, 1, 5));
        var output = temp.File("out");
        MergeRuns.Merge(baseFolder, output, [(first, 1.0), (second, 1.0)]);
        Assert.Equal([6f, 8, 0, 0, 0, 0, 3, 4, 1, 0, 0, 0, 0, 0, 0, 5], ReadTensors(output)[$"{q}.weight"].Values);
    }
}
