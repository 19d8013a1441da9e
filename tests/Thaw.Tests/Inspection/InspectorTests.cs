using Thaw.Inspection;
using Thaw.Lora;
using Thaw.Models;

namespace Thaw.Tests.Inspection;

public sealed class InspectorTests : IDisposable
{
    private readonly TempFolder scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void HubIdIsResolvedInTheLocalCache()
    {
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        var repo = Path.Combine(scratch.Path, "hub", "models--acme--tiny-nf4");
        var snapshot = Path.Combine(repo, "snapshots", commit);
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), commit);
        foreach (var file in new[] { "config.json", "model.safetensors" })
            File.Copy(Fixtures.Path(Path.Combine("A2-llama-nf4-dq", file)), Path.Combine(snapshot, file));
        var locator = new ModelLocator(name => name == "HF_HUB_CACHE" ? Path.Combine(scratch.Path, "hub") : null,
            currentDirectory: scratch.Path, homeDirectory: scratch.Path);

        var report = Inspector.Inspect("acme/tiny-nf4", locator);

        Assert.Equal("acme/tiny-nf4", report.Path);
        Assert.Equal(InspectionReport.ModelKind, report.Kind);
        Assert.Equal(2078880, report.Parameters);
        Assert.Equal("model.safetensors", Assert.Single(report.Files).Path);
    }

    [Fact]
    public void TorchAdapterIsGroupedByModule()
    {
        // adapter_model.bin written by torch.save (tests/fixtures/torch/README.md); the config is PEFT's layout.
        File.Copy(Fixtures.Path("torch/adapter_model.bin"), Path.Combine(scratch.Path, "adapter_model.bin"));
        File.WriteAllText(Path.Combine(scratch.Path, AdapterConfig.FileName),
            """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"]}""");

        var report = Inspector.Inspect(scratch.Path, ModelLocator.FromProcess());

        Assert.Equal("pytorch", report.Format);
        var adapter = Assert.IsType<AdapterSummary>(report.Adapter);
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"], adapter.Modules.Select(m => m.Module));
        Assert.Equal(4, adapter.TensorCount);
        Assert.Empty(adapter.OtherTensors);
    }

    [Fact]
    public void RawTrainingCheckpointKeysAreGroupedByModule()
    {
        File.WriteAllText(scratch.File(AdapterConfig.FileName), """{"peft_type": "LORA", "r": 4, "lora_alpha": 8}""");
        Thaw.Tests.Models.TestWeights.Write(scratch.File("adapter_model.safetensors"),
            Lora.TestAdapters.F32("module.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", [4, 32]),
            Lora.TestAdapters.F32("_orig_mod.base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight", [32, 4]),
            Lora.TestAdapters.F32("base_model.model.lm_head.weight", [10, 32]));

        var adapter = Inspector.Inspect(scratch.Path, ModelLocator.FromProcess()).Adapter!;

        var module = Assert.Single(adapter.Modules);
        Assert.Equal(("model.layers.0.self_attn.q_proj", "linear", 4), (module.Module, module.Kind, module.Rank));
        Assert.Equal(["base_model.model.lm_head.weight"], adapter.OtherTensors);
    }

    [Fact]
    public void AdapterWithoutWeightsIsRefused()
    {
        File.Copy(Fixtures.Path("A5-qlora-r8/adapter_config.json"), Path.Combine(scratch.Path, AdapterConfig.FileName));
        var error = Assert.Throws<LoraException>(() => Inspector.Inspect(scratch.Path, ModelLocator.FromProcess()));
        Assert.Equal(LoraError.NotAnAdapter, error.Reason);
    }

    [Fact]
    public void RefusedAdapterFeaturesAreReported()
    {
        File.Copy(Fixtures.Path("A5-qlora-r8/adapter_model.safetensors"), Path.Combine(scratch.Path, "adapter_model.safetensors"));
        File.WriteAllText(Path.Combine(scratch.Path, AdapterConfig.FileName),
            """{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "layer_replication": [[0, 2], [1, 2]]}""");

        var adapter = Inspector.Inspect(scratch.Path, ModelLocator.FromProcess()).Adapter!;

        Assert.Equal("layer_replication", Assert.Single(adapter.Refused).Field);
        Assert.Equal(14, adapter.Modules.Count);
    }
}
