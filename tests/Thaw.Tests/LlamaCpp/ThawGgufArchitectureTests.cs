using System.Text.Json.Nodes;
using Thaw.Formats;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;
using Thaw.Pipeline.Merge;
using Thaw.Tensors;
using Thaw.Tests.GgufExport;
using Thaw.Tests.Models;
using Xunit.Abstractions;

namespace Thaw.Tests.LlamaCpp;

/// <summary>
/// The other architectures, checked in llama.cpp with A1's weights: transformers' Qwen2 and Mistral compute what its
/// Llama computes for the same weights (Qwen2 with zero q/k/v biases), so A1 relabelled as either must give
/// transformers' A1 f32 logits. For qwen2 that exercises the path without the q/k permutation (NEOX rope) and with
/// bias tensors; for mistral the mapping onto llama.
/// </summary>
[Collection(LlamaCppCollection.Name)]
public sealed class ThawGgufArchitectureTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("qwen2", "Qwen2ForCausalLM")]
    [InlineData("mistral", "MistralForCausalLM")]
    public void A1RelabelledGivesTransformersA1Logits(string modelType, string architecture)
    {
        var folder = Relabel(modelType, architecture, withQkvBiases: modelType == "qwen2");
        var gguf = temp.File("model.gguf");
        using (var model = HfModel.Open(folder))
        {
            var plan = GgufExporter.Plan(MergedModel.Unchanged(model), new GgufExportRequest
            {
                OutputPath = gguf,
                Type = GgufOutputType.F32,
                Options = new PipelineOptions(),
                // Evaluation uses token ids; the vocabulary is A1's, as llama.cpp's converter wrote it.
                Tokenizer = _ => GgufExportFixtureTests.TokenizerKeys(Fixtures.Path("A6-llama-f32.gguf")),
            });
            GgufFileOutput.Write(plan);
        }
        using (var file = GgufFile.Open(gguf))
        {
            Assert.Equal(modelType == "qwen2" ? "qwen2" : "llama", file.Architecture);
            Assert.Equal(modelType == "qwen2", file.TryGetTensor("blk.0.attn_q.bias", out _));
        }
        var logits = LlamaCppLogits.LastPositions(gguf, ReferenceLogits.Prompts);
        var difference = ReferenceLogits.MaxAbsDifference(logits, ReferenceLogits.Of("A1.f32"));
        output.WriteLine($"A1 as {modelType} (f32 GGUF) vs A1.f32: max |d| {difference:G3}");
        Assert.True(difference <= 1e-3, $"max |d| {difference:G3}");
    }

    /// <summary>
    /// Tied embeddings: the file has no output.weight and llama.cpp uses token_embd for the output. It must compute
    /// exactly what a file with an explicit output.weight equal to the embedding computes.
    /// </summary>
    [Fact]
    public void ATiedModelHasNoOutputTensorAndLlamaCppUsesTheEmbedding()
    {
        var tied = Export(Relabel("llama", "LlamaForCausalLM", withQkvBiases: false, lmHead: LmHead.Tied), "tied.gguf");
        var copied = Export(Relabel("llama", "LlamaForCausalLM", withQkvBiases: false, lmHead: LmHead.CopyOfEmbedding), "copied.gguf");
        using (var file = GgufFile.Open(tied))
        {
            Assert.False(file.TryGetTensor("output.weight", out _));
            Assert.Equal(20, file.Tensors.Length);
        }
        var difference = ReferenceLogits.MaxAbsDifference(
            LlamaCppLogits.LastPositions(tied, ReferenceLogits.Prompts), LlamaCppLogits.LastPositions(copied, ReferenceLogits.Prompts));
        output.WriteLine($"tied vs explicit copy: max |d| {difference:G3}");
        Assert.Equal(0, difference);
    }

    private enum LmHead
    {
        Own,
        Tied,
        CopyOfEmbedding,
    }

    private string Export(string folder, string name)
    {
        var gguf = temp.File(name);
        using var model = HfModel.Open(folder);
        GgufFileOutput.Write(GgufExporter.Plan(MergedModel.Unchanged(model), new GgufExportRequest
        {
            OutputPath = gguf,
            Type = GgufOutputType.F32,
            Options = new PipelineOptions(),
            Tokenizer = _ => GgufExportFixtureTests.TokenizerKeys(Fixtures.Path("A6-llama-f32.gguf")),
        }));
        return gguf;
    }

    // A1's tensors (and, for Qwen2, zero q/k/v biases) under another model type.
    private string Relabel(string modelType, string architecture, bool withQkvBiases, LmHead lmHead = LmHead.Own)
    {
        var folder = temp.File($"{modelType}-{lmHead}");
        Directory.CreateDirectory(folder);
        var config = JsonNode.Parse(File.ReadAllText(Fixtures.Path("A1-llama-bf16/config.json")))!.AsObject();
        config["model_type"] = modelType;
        config["architectures"] = new JsonArray(architecture);
        config["tie_word_embeddings"] = lmHead == LmHead.Tied;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var tensors = new List<TestWeights.Tensor>();
        using (var a1 = TensorFiles.Open(Fixtures.Path("A1-llama-bf16/model.safetensors")))
        {
            foreach (var t in a1.Tensors)
            {
                if (t.Name == "lm_head.weight" && lmHead != LmHead.Own)
                    continue;
                if (t.Name == "model.embed_tokens.weight" && lmHead == LmHead.CopyOfEmbedding)
                    tensors.Add(new("lm_head.weight", t.DType, [.. t.Shape], a1.ReadAll(t)));
                tensors.Add(new(t.Name, t.DType, [.. t.Shape], a1.ReadAll(t)));
                if (withQkvBiases && t.Name.EndsWith("_proj.weight", StringComparison.Ordinal) && t.Name.Contains(".self_attn.", StringComparison.Ordinal) && !t.Name.Contains("o_proj", StringComparison.Ordinal))
                    tensors.Add(new(t.Name[..^"weight".Length] + "bias", DType.BF16, [t.Shape[0]]));
            }
        }
        TestWeights.Write(Path.Combine(folder, "model.safetensors"), [.. tensors.OrderBy(t => t.Name, StringComparer.Ordinal)]);
        return folder;
    }
}
