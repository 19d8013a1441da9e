namespace Thaw.Models;

/// <summary>How a logical tensor is stored.</summary>
public enum ModelTensorKind
{
    /// <summary>One stored tensor, used as is.</summary>
    Plain,

    /// <summary>A bitsandbytes 4-bit (NF4/FP4) weight: packed codes, absmax, quant map, quant state.</summary>
    Bnb4Bit,

    /// <summary>A bitsandbytes LLM.int8 weight: int8 codes and per-row SCB.</summary>
    BnbInt8,
}
