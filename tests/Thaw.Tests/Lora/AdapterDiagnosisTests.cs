using Thaw.Lora;
using Thaw.Models;
using Thaw.Tests.Models;
using static Thaw.Tests.Lora.TestAdapters;

namespace Thaw.Tests.Lora;

public class AdapterDiagnosisTests
{
    private static AdapterDiagnosis Diagnose(string config, params TestWeights.Tensor[] tensors)
    {
        using var folder = new TempFolder();
        using var adapter = LoraAdapter.Load(Write(folder, config, tensors));
        using var model = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        return AdapterDiagnosis.Diagnose(adapter, model, "A1-llama-bf16");
    }

    private static string[] Codes(AdapterDiagnosis d, FindingSeverity severity) =>
        [.. d.Findings.Where(f => f.Severity == severity).Select(f => f.Code)];

    [Fact]
    public void AdapterForAnotherHiddenSizeIsAShapeMismatch()
    {
        var d = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""), Linear(Q0, inFeatures: 64, outFeatures: 64));
        Assert.Equal([FindingCodes.ShapeMismatch], Codes(d, FindingSeverity.Error));
        Assert.Null(Assert.Single(d.Modules).Ratio);
    }

    [Fact]
    public void RankInTheFileDisagreeingWithTheConfigIsAnErrorAndTheShapeIsReported()
    {
        // PEFT refuses to load such a file (size mismatch); the scaling would be a guess, so the merge refuses too.
        var d = Diagnose(Config(r: 8, targets: """["model.layers.0.self_attn.q_proj"]"""), Linear(Q0, r: 4));
        Assert.True(d.HasErrors);
        Assert.Equal([FindingCodes.RankDiffersFromConfig], Codes(d, FindingSeverity.Error));
        var module = Assert.Single(d.Modules);
        Assert.Equal((4, 2.0), (module.Rank, module.Scaling));
    }

    [Fact]
    public void ModuleTheBaseLacksIsAnError()
    {
        var d = Diagnose(Config(targets: """["q_proj"]"""), [.. Linear("model.layers.7.self_attn.q_proj"), .. Linear(Q0), .. Linear("model.layers.1.self_attn.q_proj")]);
        var error = Assert.Single(d.Findings, f => f.Severity == FindingSeverity.Error);
        Assert.Equal((FindingCodes.UnmatchedModule, "model.layers.7.self_attn.q_proj"), (error.Code, error.Module));
    }

    [Fact]
    public void NaNInLoraBIsAnError()
    {
        var d = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""),
            F32($"base_model.model.{Q0}.lora_A.weight", [4, 32]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 4], float.NaN));
        Assert.Equal([FindingCodes.NonFinite], Codes(d, FindingSeverity.Error));
    }

    [Fact]
    public void AllZeroLoraBIsAnError()
    {
        var d = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""),
            F32($"base_model.model.{Q0}.lora_A.weight", [4, 32]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 4], 0f));
        Assert.Equal([FindingCodes.ZeroLoraB], Codes(d, FindingSeverity.Error));
        Assert.Equal(0, Assert.Single(d.Modules).Ratio);
    }

    [Fact]
    public void RefusedConfigFeatureIsAnError()
    {
        var d = Diagnose(Config(""", "layer_replication": [[0, 2]]""", targets: """["model.layers.0.self_attn.q_proj"]"""), Linear(Q0));
        var error = Assert.Single(d.Findings, f => f.Severity == FindingSeverity.Error);
        Assert.Equal(FindingCodes.RefusedFeature, error.Code);
        Assert.StartsWith("layer_replication", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawTrainingCheckpointKeysMatchTheBase()
    {
        var d = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""),
            F32($"module.base_model.model.{Q0}.lora_A.default.weight", [4, 32]), F32($"_orig_mod.base_model.model.{Q0}.lora_B.default.weight", [32, 4]));
        Assert.Empty(d.Findings);
        Assert.Equal(Q0 + ".weight", Assert.Single(d.Modules).BaseTensor);
    }

    [Fact]
    public void KeysMissingOneModelLevelStillMatch()
    {
        // peft#1579: keys without the inner "model." level; PEFT silently ignores them, Thaw maps them.
        var d = Diagnose(Config(targets: """["layers.0.self_attn.q_proj"]"""), Linear("layers.0.self_attn.q_proj"));
        Assert.Empty(d.Findings);
        Assert.Equal(Q0 + ".weight", Assert.Single(d.Modules).BaseTensor);
    }

    [Fact]
    public void TargetedModulesWithoutKeysAreWarnings()
    {
        var d = Diagnose(Config(targets: """["q_proj"]"""), Linear(Q0));
        var warning = Assert.Single(d.Findings);
        Assert.Equal((FindingSeverity.Warning, FindingCodes.TargetedModuleMissing, "model.layers.1.self_attn.q_proj"), (warning.Severity, warning.Code, warning.Module));
    }

    [Fact]
    public void RegexTargetsUseFullmatch()
    {
        var d = Diagnose(Config(targets: "\"model\\\\.layers\\\\.[01]\\\\.self_attn\\\\.q_proj\""), Linear(Q0));
        Assert.Equal([FindingCodes.TargetedModuleMissing], Codes(d, FindingSeverity.Warning));
        Assert.Empty(Diagnose(Config(targets: "\".*layers\\\\.0\\\\.self_attn\\\\.q_proj\""), Linear(Q0)).Findings);
    }

    [Fact]
    public void LoraBiasWithoutTheConfigFlagIsAWarning()
    {
        var d = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""), [.. Linear(Q0), F32($"base_model.model.{Q0}.lora_B.bias", [32])]);
        Assert.Equal([FindingCodes.LoraBiasIgnored], Codes(d, FindingSeverity.Warning));
    }

    [Fact]
    public void FullTensorsAndOtherBasesAreWarnings()
    {
        var config = """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "base_model_name_or_path": "unsloth/llama-3-8b-bnb-4bit"}""";
        var d = Diagnose(config, [.. Linear(Q0), F32("base_model.model.lm_head.weight", [32000, 32]), F32("base_model.model.score.weight", [2, 32])]);
        Assert.False(d.HasErrors);
        Assert.Equal([FindingCodes.ReplacesTensor, FindingCodes.AddsTensor, FindingCodes.TrainedOnQuantizedBase], Codes(d, FindingSeverity.Warning));
        var other = Diagnose("""{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "base_model_name_or_path": "meta-llama/Llama-3.2-1B"}""", Linear(Q0));
        Assert.Equal([FindingCodes.BaseModelDiffers], Codes(other, FindingSeverity.Warning));
    }

    [Fact]
    public void ExcludedModulesAndModulesToSaveAreNotExpected()
    {
        var d = Diagnose(Config(""", "exclude_modules": ["model.layers.1.self_attn.q_proj"]"""), Linear(Q0));
        Assert.Empty(d.Findings);
        var saved = Diagnose(Config(""", "modules_to_save": ["layers.1.self_attn.q_proj"]"""), Linear(Q0));
        Assert.Empty(saved.Findings);
    }

    [Fact]
    public void LayersToTransformSkipsTheTargetedModuleCheck() =>
        Assert.Empty(Diagnose(Config(""", "layers_to_transform": [0]"""), Linear(Q0)).Findings);

    [Fact]
    public void DoraMagnitudeMustHaveOneValuePerOutputFeature()
    {
        var good = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""), [.. Linear(Q0), F32($"base_model.model.{Q0}.lora_magnitude_vector", [32])]);
        Assert.Empty(good.Findings);
        Assert.True(Assert.Single(good.Modules).IsDora);
        var bad = Diagnose(Config(targets: """["model.layers.0.self_attn.q_proj"]"""), [.. Linear(Q0), F32($"base_model.model.{Q0}.lora_magnitude_vector", [16])]);
        Assert.Equal([FindingCodes.ShapeMismatch], Codes(bad, FindingSeverity.Error));
    }

    [Fact]
    public void LoraBiasOnABiaslessBaseIsAnError()
    {
        // Llama projections have no bias.
        var d = Diagnose(Config(""", "lora_bias": true""", targets: """["model.layers.0.self_attn.q_proj"]"""), [.. Linear(Q0), F32($"base_model.model.{Q0}.lora_B.bias", [32])]);
        Assert.Equal([FindingCodes.MissingBaseBias], Codes(d, FindingSeverity.Error));
    }
}
