using Thaw.Analysis;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tests.Quantization.Quantizer;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Analysis;

public class VisionLanguageAnalysisTests
{
    private const string Config = """
        {
          "architectures": ["Qwen2VLForConditionalGeneration"],
          "model_type": "qwen2_vl",
          "hidden_size": 64,
          "num_attention_heads": 4,
          "num_key_value_heads": 4,
          "num_hidden_layers": 4,
          "vocab_size": 64,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "vision_config": {"depth": 4}
        }

        """;

    [Fact]
    public void AVisionTowerSpikeAndTheMergerAreKeptUnderBothSpellings()
    {
        using var temp = new TempFolder();
        var seed = 10;
        var tensors = new List<Tensor>
        {
            QuantizerModels.Bf16("model.embed_tokens.weight", [64, 64], seed++),
            QuantizerModels.Bf16("lm_head.weight", [64, 64], seed++),
            QuantizerModels.Bf16("visual.merger.mlp.0.weight", [64, 256], seed++),
        };
        for (var i = 0; i < 4; i++)
        {
            tensors.Add(QuantizerModels.Bf16($"model.layers.{i}.self_attn.o_proj.weight", [64, 64], seed++));
            tensors.Add(QuantizerModels.Bf16($"model.layers.{i}.mlp.down_proj.weight", [64, 128], seed++));
            tensors.Add(QuantizerModels.Bf16($"visual.blocks.{i}.mlp.fc1.weight", [128, 64], seed++));
            var fc2 = QuantizerModels.Values(64 * 128, seed++);
            if (i == 2)
            {
                for (var j = 0; j < fc2.Length; j += 128)
                    fc2[j + 3] *= 40;
            }
            tensors.Add(QuantizerModels.Bf16($"visual.blocks.{i}.mlp.fc2.weight", [64, 128], fc2));
        }
        using var model = HfModel.Open(QuantizerModels.Folder(temp, tensors, Config));
        var analysis = ModelAnalyzer.Analyze(model, new AnalysisSettings(), null, 2);
        Assert.Equal("visual.blocks.*.mlp.fc2", analysis.Modules.Single(m => m.Module == "visual.blocks.2.mlp.fc2").Name.Group);

        var choice = DynamicSelection.Choose(analysis, 0.5, []);
        Assert.Equal(
            [("visual.blocks.2.mlp.fc2", KeepReason.Spike), ("visual.merger.mlp.0", KeepReason.SkipList)],
            choice.Kept.Select(k => (k.Module, k.Reason)).Order());

        var written = BnbModuleSelection.Select(model, choice.KeptModules).WrittenSkipModules!;
        foreach (var name in new[] { "lm_head", "visual.blocks.2.mlp.fc2", "model.visual.blocks.2.mlp.fc2", "visual.merger.mlp.0", "model.visual.merger.mlp.0" })
            Assert.Contains(name, written);
    }
}
