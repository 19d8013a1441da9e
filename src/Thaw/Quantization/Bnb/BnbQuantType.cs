namespace Thaw.Quantization.Bnb;

/// <summary>The two bitsandbytes 4-bit code tables.</summary>
public enum BnbQuantType
{
    /// <summary>NormalFloat4: 16 quantiles of a normal distribution ("nf4").</summary>
    Nf4,

    /// <summary>A 4-bit float with 1 sign, 2 exponent and 1 mantissa bit ("fp4").</summary>
    Fp4,
}
