using Thaw.Tensors;

namespace Thaw.Lora;

/// <summary>The layer type a LoRA module adapts, as told by its key form.</summary>
public enum LoraModuleKind
{
    /// <summary>lora_A/lora_B: nn.Linear, GPT-2 Conv1D or ConvNd.</summary>
    Linear,
    /// <summary>lora_embedding_A/B: nn.Embedding.</summary>
    Embedding,
}

/// <summary>
/// One LoRA-adapted module of an adapter: its normalized path (relative to the transformers model, as PEFT's
/// patterns see it), its tensors and the rank, alpha and scaling PEFT would use.
/// <see cref="Rank"/> comes from the tensor shapes (A's first dimension), which is what PEFT loads;
/// <see cref="ConfigRank"/> is what the config's rank_pattern/r says for this path (PEFT fails to load when they differ).
/// </summary>
public sealed record LoraModule(
    string Path,
    LoraModuleKind Kind,
    TensorInfo A,
    TensorInfo B,
    TensorInfo? Magnitude,
    TensorInfo? BBias,
    int Rank,
    int ConfigRank,
    double Alpha,
    double Scaling)
{
    /// <summary>Input features (columns of ΔW for Linear; vocabulary size for Embedding): the product of A's other dimensions.</summary>
    public long InFeatures => A.ElementCount / Rank;

    /// <summary>Output features (rows of ΔW for Linear; embedding dimension for Embedding): B's first dimension.</summary>
    public long OutFeatures => B.Shape[0];
}

/// <summary>A full tensor in the adapter that replaces (or, when the base lacks it, adds) the base tensor it names.</summary>
public sealed record AdapterReplacement(string TargetTensor, TensorInfo Tensor);

/// <summary>Trained embedding rows (trainable_token_indices) for the embedding module <paramref name="Module"/>.</summary>
public sealed record AdapterTrainableTokens(string Module, TensorInfo Tensor);
