using Thaw.Lora;
using Thaw.Tensors;
using Thaw.Tests.Models;
using static Thaw.Tests.Lora.TestAdapters;

namespace Thaw.Tests.Lora;

public class LoraAdapterRejectionTests
{
    private static LoraError LoadFails(params TestWeights.Tensor[] tensors)
    {
        using var folder = new TempFolder();
        var path = Write(folder, Config(), tensors);
        return Assert.Throws<LoraException>(() => LoraAdapter.Load(path).Dispose()).Reason;
    }

    [Fact]
    public void ZeroElementTensorIsRejected() =>
        Assert.Equal(LoraError.EmptyTensor, LoadFails(F32($"base_model.model.{Q0}.lora_A.weight", [0]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 4])));

    [Fact]
    public void UnrecognizedKeyIsRejected() =>
        Assert.Equal(LoraError.UnrecognizedKey, LoadFails([.. Linear(Q0), F32($"base_model.model.{Q0}.hada_w1_a", [4, 32])]));

    [Fact]
    public void RanksOfAAndBMustAgree() =>
        Assert.Equal(LoraError.BadShape, LoadFails(F32($"base_model.model.{Q0}.lora_A.weight", [4, 32]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 8])));

    [Fact]
    public void AWithoutBIsRejected() =>
        Assert.Equal(LoraError.IncompleteModule, LoadFails(F32($"base_model.model.{Q0}.lora_A.weight", [4, 32])));

    [Fact]
    public void TheSameTensorTwiceIsRejected() =>
        Assert.Equal(LoraError.DuplicateKey, LoadFails([.. Linear(Q0), F32($"base_model.model.{Q0}.lora_A.default.weight", [4, 32])]));

    [Fact]
    public void IntegerAdapterTensorIsRejected() =>
        Assert.Equal(LoraError.NotFloat, LoadFails(new TestWeights.Tensor($"base_model.model.{Q0}.lora_A.weight", DType.I32, [4, 32]), F32($"base_model.model.{Q0}.lora_B.weight", [32, 4])));

    [Fact]
    public void FolderWithoutWeightsIsNotAnAdapter()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("adapter_config.json"), Config());
        Assert.Equal(LoraError.NotAnAdapter, Assert.Throws<LoraException>(() => LoraAdapter.Load(folder.Path)).Reason);
    }

    [Fact]
    public void StaleOriginalModuleCopiesAreIgnored()
    {
        using var folder = new TempFolder();
        using var adapter = LoraAdapter.Load(Write(folder, Config(), [.. Linear(Q0), F32("base_model.model.score.original_module.weight", [2, 32])]));
        Assert.Single(adapter.IgnoredTensors);
        Assert.Single(adapter.Modules);
        Assert.Empty(adapter.Replacements);
    }
}
