using System.Text.Json;
using System.Text.RegularExpressions;
using Thaw.Analysis;
using Thaw.Analysis.Reporting;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tests.Models;

namespace Thaw.Tests.Analysis;

public class DynamicSelectionTests
{
    [Fact]
    public void DynamicPicksExactlyThePlantedModules()
    {
        using var temp = new TempFolder();
        var analysis = Analyze(PlantedModels.Folder(temp, planted: true));
        var choice = DynamicSelection.Choose(analysis, 0.15, []);
        Assert.Equal([PlantedModels.OutlierModule, PlantedModels.HeavyTailModule], choice.Kept.Select(k => k.Module).Order(StringComparer.Ordinal));
        Assert.All(choice.Kept, k => Assert.Equal(KeepReason.Spike, k.Reason));
        Assert.Empty(choice.SpikesLeftOut);
        Assert.True(choice.UsedBytes <= choice.BudgetBytes);
        // The planted modules are the spikes; everything else sits near its group's median.
        Assert.All(analysis.Modules.Where(m => !choice.KeptModules.Contains(m.Module)), m => Assert.True(choice.SpikeScores[m.Module] <= SpikeDetector.Threshold));
        var heavy = analysis.Modules.Single(m => m.Module == PlantedModels.HeavyTailModule);
        Assert.True(heavy.Error.Kurtosis > 3, $"kurtosis {heavy.Error.Kurtosis}");
        var outlier = analysis.Modules.Single(m => m.Module == PlantedModels.OutlierModule);
        Assert.True(outlier.Error.MaxOverRms > 20, $"max/rms {outlier.Error.MaxOverRms}");
    }

    [Fact]
    public void ABudgetForOneSpikeTakesTheBestRatioAndSaysWhichItLeftOut()
    {
        using var temp = new TempFolder();
        var analysis = Analyze(PlantedModels.Folder(temp, planted: true));
        var oneCost = analysis.Modules.Where(m => m.Module is PlantedModels.OutlierModule or PlantedModels.HeavyTailModule).Max(m => m.KeepCost);
        var budget = (double)oneCost / analysis.AllFourBitBytes * 1.01;
        var choice = DynamicSelection.Choose(analysis, budget, []);
        Assert.Single(choice.Kept);
        Assert.Single(choice.SpikesLeftOut);
        Assert.Contains("could not hold", choice.SpikesLeftOut[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutPlantedModulesNothingIsKept()
    {
        using var temp = new TempFolder();
        var analysis = Analyze(PlantedModels.Folder(temp, planted: false));
        var choice = DynamicSelection.Choose(analysis, 0.5, []);
        Assert.Empty(choice.Kept);
        Assert.Equal(0, choice.UsedBytes);
    }

    [Fact]
    public void TheChoiceIsDeterministic()
    {
        using var temp = new TempFolder();
        var folder = PlantedModels.Folder(temp, planted: true);
        var first = Json(folder, threads: 1);
        var second = Json(folder, threads: 2);
        Assert.Equal(first, second);
    }

    [Fact]
    public void ABudgetTooSmallForTheForcedModulesSaysHowMuchIsNeeded()
    {
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var analysis = ModelAnalyzer.Analyze(a1, new AnalysisSettings(), null, 1);
        // 12 of A1's 14 projections have in_features 32, which blocksize 64 does not divide.
        Assert.Equal(12, analysis.Modules.Count(m => m.AlwaysKeep == KeepReason.Blocksize));
        var e = Assert.Throws<AnalysisException>(() => DynamicSelection.Choose(analysis, 0.001, []));
        Assert.Equal(AnalysisError.BudgetTooSmall, e.Reason);
        Assert.Contains("12 modules", e.Message, StringComparison.Ordinal);
        Assert.Contains("use --budget 0.8% or more", e.Message, StringComparison.Ordinal);
        var enough = DynamicSelection.Choose(analysis, 0.008, []);
        Assert.Equal(12, enough.Kept.Count);
    }

    [Fact]
    public void ManualSkipsAreKeptAndCounted()
    {
        using var temp = new TempFolder();
        var analysis = Analyze(PlantedModels.Folder(temp, planted: false));
        var choice = DynamicSelection.Choose(analysis, 0.5, ["model.layers.0"]);
        Assert.Equal(7, choice.Kept.Count);
        Assert.All(choice.Kept, k => Assert.Equal(KeepReason.Manual, k.Reason));
        Assert.Equal(AnalysisError.BudgetTooSmall, Assert.Throws<AnalysisException>(() => DynamicSelection.Choose(analysis, 0.01, ["mlp.down_proj"])).Reason);
    }

    [Fact]
    public void SkipListAndBlocksizeRulesSayWhichRuleKeptTheModule()
    {
        Assert.Equal(KeepReason.SkipList, AlwaysKeepRules.Check("model.multi_modal_projector.linear_1", 4096, 64)!.Value.Reason);
        Assert.Equal(KeepReason.SkipList, AlwaysKeepRules.Check("model.layers.3.mlp.gate", 4096, 64)!.Value.Reason);
        Assert.Null(AlwaysKeepRules.Check("model.layers.3.mlp.gate_proj", 4096, 64));
        Assert.Equal(KeepReason.SkipList, AlwaysKeepRules.Check("visual.merger.mlp.0", 5120, 64)!.Value.Reason);
        var blocksize = AlwaysKeepRules.Check("model.layers.0.mlp.down_proj", 11000, 64)!.Value;
        Assert.Equal(KeepReason.Blocksize, blocksize.Reason);
        Assert.Contains("11000", blocksize.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10%", 0.10)]
    [InlineData("2.5", 0.025)]
    [InlineData(" 0% ", 0.0)]
    public void BudgetsParse(string text, double expected) => Assert.Equal(expected, DynamicSelection.ParseBudget(text), 1e-15);

    [Theory]
    [InlineData("ten")]
    [InlineData("-5%")]
    [InlineData("")]
    public void BadBudgetsAreRejected(string text) =>
        Assert.Equal(AnalysisError.BadBudget, Assert.Throws<AnalysisException>(() => DynamicSelection.ParseBudget(text)).Reason);

    [Fact]
    public void TheSkipListMatchesExactlyTheKeptModulesInBothTransformersConventions()
    {
        using var temp = new TempFolder();
        var folder = PlantedModels.Folder(temp, planted: true);
        using var model = HfModel.Open(folder);
        var choice = DynamicSelection.Choose(Analyze(folder), 0.15, []);
        var written = BnbModuleSelection.Select(model, choice.KeptModules).WrittenSkipModules!;
        Assert.Equal(["lm_head", PlantedModels.OutlierModule, PlantedModels.HeavyTailModule], written);
        var modules = model.Tensors.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.Shape.Length == 2)
            .Select(t => BnbModuleSelection.ModuleOf(t.Name)).ToList();
        string[] expected = ["lm_head", PlantedModels.OutlierModule, PlantedModels.HeavyTailModule];
        Assert.Equal(expected.Order(), modules.Where(m => SkippedBy4x(m, written)).Order());
        Assert.Equal(expected.Order(), modules.Where(m => SkippedBy5(m, written)).Order());
    }

    [Fact]
    public void VisionLanguageSkipNamesAreWrittenInBothSpellings()
    {
        var llava = Architectures.Find("llava")!;
        var expanded = SkipModuleAliases.Expand(["language_model.lm_head", "language_model.model.layers.1.mlp.down_proj", "vision_tower.vision_model.encoder.layers.0.mlp.fc2"], llava);
        Assert.Equal(
            ["language_model.lm_head", "language_model.model.layers.1.mlp.down_proj", "vision_tower.vision_model.encoder.layers.0.mlp.fc2",
             "lm_head", "model.language_model.layers.1.mlp.down_proj", "model.vision_tower.vision_model.encoder.layers.0.mlp.fc2"],
            expanded);
        var qwen = Architectures.Find("qwen2_vl")!;
        Assert.Equal(["model.language_model.layers.2.mlp", "model.layers.2.mlp", "model.visual.blocks.0.mlp", "visual.blocks.0.mlp"],
            SkipModuleAliases.Expand(["model.language_model.layers.2.mlp", "model.visual.blocks.0.mlp"], qwen).Order(StringComparer.Ordinal));
        Assert.Equal(["model.layers.1.mlp"], SkipModuleAliases.Expand(["model.layers.1.mlp"], Architectures.Find("llama")));
    }

    // transformers 4.x _replace_with_bnb_linear: the attribute name is listed, or some key k has k + "." in P or k == P.
    private static bool SkippedBy4x(string module, IReadOnlyList<string> skip) =>
        skip.Contains(module[(module.LastIndexOf('.') + 1)..]) || skip.Any(k => module.Contains(k + ".", StringComparison.Ordinal) || module == k);

    // transformers 5 should_convert_module: re.match(k + "\.", P) or re.match(k, P) or P.endswith(k).
    private static bool SkippedBy5(string module, IReadOnlyList<string> skip) =>
        skip.Any(k => Regex.IsMatch(module, "^(?:" + k + @")\.") || Regex.IsMatch(module, "^(?:" + k + ")") || module.EndsWith(k, StringComparison.Ordinal));

    private static ModelAnalysis Analyze(string folder, int threads = 2)
    {
        using var model = HfModel.Open(folder);
        return ModelAnalyzer.Analyze(model, new AnalysisSettings(), null, threads);
    }

    private static string Json(string folder, int threads)
    {
        var analysis = Analyze(folder, threads);
        var json = AnalysisJson.Write(analysis with { ModelPath = "m" }, DynamicSelection.Choose(analysis, 0.15, []), []);
        using var document = JsonDocument.Parse(json);
        return json;
    }
}
