namespace Thaw.Quantization.Bnb;

/// <summary>The bitsandbytes formats Thaw can quantize a model to.</summary>
public enum BnbQuantizeFormat
{
    /// <summary>4-bit NormalFloat (Linear4bit, bnb_4bit_quant_type "nf4").</summary>
    Nf4,

    /// <summary>4-bit float (Linear4bit, bnb_4bit_quant_type "fp4").</summary>
    Fp4,

    /// <summary>LLM.int8 (Linear8bitLt, load_in_8bit).</summary>
    Int8,
}
