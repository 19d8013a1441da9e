namespace Thaw.Analysis;

/// <summary>Why a module stays in 16 bits.</summary>
public enum KeepReason
{
    /// <summary>Never quantized by transformers (embeddings, the output embedding lm_head); costs nothing.</summary>
    NeverQuantized,

    /// <summary>On the list of heads, projectors and routers Unsloth always keeps (spec A.2).</summary>
    SkipList,

    /// <summary>Its in_features is not a multiple of the blocksize, so blocks straddle rows.</summary>
    Blocksize,

    /// <summary>Named with --skip.</summary>
    Manual,

    /// <summary>Its error stands out among the modules of its type across depth (robust z-score), and the budget holds it.</summary>
    Spike,
}
