using Thaw.Lora;
using Thaw.Models;
using Thaw.Tensors;
using Thaw.Tests.Models;
using static Thaw.Tests.Lora.TestAdapters;

namespace Thaw.Tests.Lora;

/// <summary>Module → base tensor mapping and shape rules on tiny hand-made bases (GPT-2 Conv1D, tied lm_head, VLM names).</summary>
public class BaseMatchingTests
{
    private const string NoTargets = """{"peft_type": "LORA", "r": 2, "lora_alpha": 2}""";

    // GPT-2: Conv1D weights are [in, out]; wte [vocab 10, dim 8]; lm_head tied to wte.
    private static AdapterDiagnosis DiagnoseOnGpt2(params TestWeights.Tensor[] adapterTensors)
    {
        using var baseFolder = new TempFolder();
        File.WriteAllText(baseFolder.File("config.json"), """{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "tie_word_embeddings": true}""");
        TestWeights.Write(baseFolder.File("model.safetensors"),
            F32("transformer.wte.weight", [10, 8]), F32("transformer.h.0.attn.c_attn.weight", [8, 24]));
        using var adapterFolder = new TempFolder();
        using var adapter = LoraAdapter.Load(Write(adapterFolder, NoTargets, adapterTensors));
        using var model = HfModel.Open(baseFolder.Path);
        return AdapterDiagnosis.Diagnose(adapter, model, "gpt2");
    }

    [Fact]
    public void Conv1DWeightIsReadAsInByOutFromTheArchitecture()
    {
        var d = DiagnoseOnGpt2(Linear("transformer.h.0.attn.c_attn", r: 2, inFeatures: 8, outFeatures: 24));
        Assert.Empty(d.Findings);
        Assert.NotNull(Assert.Single(d.Modules).Ratio);
    }

    [Fact]
    public void Conv1DAdapterBuiltForTheLinearLayoutIsAShapeMismatch()
    {
        var d = DiagnoseOnGpt2(Linear("transformer.h.0.attn.c_attn", r: 2, inFeatures: 24, outFeatures: 8));
        Assert.Equal(FindingCodes.ShapeMismatch, Assert.Single(d.Findings).Code);
    }

    [Fact]
    public void TiedLmHeadMapsToTheEmbeddingWithAWarning()
    {
        var d = DiagnoseOnGpt2(Linear("lm_head", r: 2, inFeatures: 8, outFeatures: 10));
        Assert.Equal("transformer.wte.weight", Assert.Single(d.Modules).BaseTensor);
        var finding = Assert.Single(d.Findings);
        Assert.Equal((FindingSeverity.Warning, FindingCodes.TiedEmbedding), (finding.Severity, finding.Code));
    }

    [Fact]
    public void EmbeddingLoraIsCheckedAgainstVocabAndDim()
    {
        var good = DiagnoseOnGpt2(F32("base_model.model.transformer.wte.lora_embedding_A", [2, 10]), F32("base_model.model.transformer.wte.lora_embedding_B", [8, 2]));
        Assert.Empty(good.Findings);
        Assert.Equal(LoraModuleKind.Embedding, Assert.Single(good.Modules).Kind);
        var swapped = DiagnoseOnGpt2(F32("base_model.model.transformer.wte.lora_embedding_A", [2, 8]), F32("base_model.model.transformer.wte.lora_embedding_B", [10, 2]));
        Assert.Equal(FindingCodes.ShapeMismatch, Assert.Single(swapped.Findings).Code);
    }

    [Theory]
    [InlineData("language_model.model.layers.0.q", "model.language_model.layers.0.q.weight")]
    [InlineData("model.language_model.layers.0.q", "model.language_model.layers.0.q.weight")]
    public void VlmRenamesAreFollowed(string adapterModule, string baseTensor)
    {
        using var baseFolder = new TempFolder();
        var weights = baseFolder.File("model.safetensors");
        TestWeights.Write(weights, F32(baseTensor, [8, 8]));
        using var model = HfModel.Open(weights);
        Assert.Equal(baseTensor, BaseTensorMatch.Find(model, adapterModule + ".weight")?.Tensor.Name);
        Assert.Null(BaseTensorMatch.Find(model, "vision_tower.layers.0.q.weight"));
    }

    [Fact]
    public void BaseWithoutTheAdaptersModulesReportsEveryOne()
    {
        var d = DiagnoseOnGpt2([.. Linear("model.layers.0.self_attn.q_proj", r: 2, inFeatures: 8, outFeatures: 8), .. Linear("model.layers.0.self_attn.k_proj", r: 2, inFeatures: 8, outFeatures: 8)]);
        Assert.Equal([FindingCodes.UnmatchedModule, FindingCodes.UnmatchedModule], d.Findings.Select(f => f.Code));
        Assert.All(d.Modules, m => Assert.Null(m.BaseTensor));
    }

    [Fact]
    public void Bf16AdapterTensorsAreRead()
    {
        var d = DiagnoseOnGpt2(new TestWeights.Tensor("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", DType.BF16, [2, 8], Enumerable.Repeat((byte)0x3f, 32).ToArray()),
            F32("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight", [24, 2]));
        Assert.Empty(d.Findings);
    }
}
