namespace Thaw.Quantization.Bnb;

/// <summary>
/// The 16-entry code tables bitsandbytes stores as <c>weight.quant_map</c> (<c>functional.get_4bit_type</c> in
/// float32): the values the kernel decodes (<see cref="Bnb4BitCodes"/>), except that FP4 code 8 is +0.0 (Python's
/// "-0" in the table literal is the integer 0) where the kernel decodes -0.0.
/// </summary>
public static class BnbQuantMaps
{
    private static readonly float[] Nf4Values = Bnb4BitCodes.Values(BnbQuantType.Nf4).ToArray();
    private static readonly float[] Fp4Values = StoredFp4();

    /// <summary>The stored code table of <paramref name="type"/>, indexed by 4-bit code.</summary>
    public static ReadOnlySpan<float> For(BnbQuantType type) => type switch
    {
        BnbQuantType.Nf4 => Nf4Values,
        BnbQuantType.Fp4 => Fp4Values,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a 4-bit quant type"),
    };

    private static float[] StoredFp4()
    {
        var values = Bnb4BitCodes.Values(BnbQuantType.Fp4).ToArray();
        values[8] = 0f;
        return values;
    }
}
