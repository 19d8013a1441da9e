using System.Text.Json.Nodes;
using Thaw.Lora;
using Thaw.Models;

namespace Thaw.Tests.Lora;

/// <summary>The PEFT-written fixture adapters against their bases; ratios from PEFT in generation-report.json.</summary>
public class LoraAdapterFixtureTests
{
    // PEFT computed ||ΔW||/||W|| with float32 products; ours accumulates in double from the same float32 values.
    // Observed: at most 5.1e-7 relative (A3), 1.1e-7 (A4), 1.5e-7 (A5, against the dequantized NF4 base).
    private const double RatioTolerance = 1e-6;

    [Theory]
    [InlineData("A3-llama-lora-r4", "A1-llama-bf16", 14, 4, 2.0)]
    [InlineData("A4-llama-rslora-r8", "A1-llama-bf16", 4, 8, 5.656854249492381)]
    [InlineData("A5-qlora-r8", "A2-llama-nf4-dq", 14, 8, 2.0)]
    public void EveryModuleMatchesAndRatiosAgreeWithPeft(string adapterName, string baseName, int moduleCount, int rank, double scaling)
    {
        using var adapter = LoraAdapter.Load(Fixtures.Path(adapterName));
        using var model = HfModel.Open(Fixtures.Path(baseName));
        var diagnosis = AdapterDiagnosis.Diagnose(adapter, model, baseName);

        Assert.Equal(moduleCount, adapter.Modules.Count);
        Assert.Empty(adapter.Replacements);
        Assert.All(adapter.Modules, m => Assert.Equal((rank, rank), (m.Rank, m.ConfigRank)));
        Assert.All(adapter.Modules, m => Assert.Equal(scaling, m.Scaling, 1e-14));
        Assert.False(diagnosis.HasErrors, string.Join("\n", diagnosis.Findings));
        var expected = ExpectedRatios(adapterName);
        Assert.Equal(expected.Keys.Order(), diagnosis.Modules.Select(m => "base_model.model." + m.Module).Order());
        foreach (var module in diagnosis.Modules)
        {
            Assert.Equal(module.Module + ".weight", module.BaseTensor);
            var want = expected["base_model.model." + module.Module];
            Assert.True(Math.Abs(module.Ratio!.Value - want) <= RatioTolerance * want, $"{module.Module}: {module.Ratio} vs PEFT {want}");
        }
    }

    [Fact]
    public void QuantizedBaseIsTheOnlyFindingForTheQLoraScenario()
    {
        using var adapter = LoraAdapter.Load(Fixtures.Path("A5-qlora-r8"));
        using var model = HfModel.Open(Fixtures.Path("A2-llama-nf4-dq"));
        var finding = Assert.Single(AdapterDiagnosis.Diagnose(adapter, model, Fixtures.Path("A2-llama-nf4-dq")).Findings);
        Assert.Equal((FindingSeverity.Warning, FindingCodes.QuantizedBase), (finding.Severity, finding.Code));
    }

    [Fact]
    public void A4LeavesTheUntargetedProjectionsAloneWithoutFindings()
    {
        using var adapter = LoraAdapter.Load(Fixtures.Path("A4-llama-rslora-r8"));
        using var model = HfModel.Open(Fixtures.Path("A1-llama-bf16"));
        Assert.Empty(AdapterDiagnosis.Diagnose(adapter, model, "A1-llama-bf16").Findings);
    }

    [Fact]
    public void TorchBinAdapterIsRead()
    {
        // adapter_model.bin written by torch.save (tests/fixtures/torch/README.md).
        using var folder = new TempFolder();
        File.Copy(Fixtures.Path("torch/adapter_model.bin"), folder.File("adapter_model.bin"));
        File.WriteAllText(folder.File(AdapterConfig.FileName), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"]}""");
        using var adapter = LoraAdapter.Load(folder.Path);
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"], adapter.Modules.Select(m => m.Path));
        Assert.All(adapter.Modules, m => Assert.Equal((2, 2.0), (m.Rank, m.Scaling)));
    }

    private static Dictionary<string, double> ExpectedRatios(string adapter)
    {
        var report = JsonNode.Parse(File.ReadAllText(Fixtures.Path("generation-report.json")))!;
        return report["ratios"]![adapter]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>());
    }
}
