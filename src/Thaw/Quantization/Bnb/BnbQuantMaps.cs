namespace Thaw.Quantization.Bnb;

/// <summary>
/// The 16-entry code tables bitsandbytes stores as <c>weight.quant_map</c> (<c>functional.get_4bit_type</c> in
/// float32). Dequantizers do not read them (they use the same values built in), but every checkpoint carries one.
/// </summary>
public static class BnbQuantMaps
{
    // The hard-coded NF4 table; each decimal is exactly a float32 value.
    private static readonly float[] Nf4Values =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    // get_4bit_type('fp4'): [0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, ...] / 12 in float32, as bit patterns so that
    // no compile-time rounding is involved. Python's "-0" is the integer 0, so code 8 is +0.0 (the CUDA kernel
    // decodes code 8 as -0.0, but the stored table has +0.0).
    private static readonly float[] Fp4Values = BuildFp4();

    /// <summary>The stored code table of <paramref name="type"/>, indexed by 4-bit code.</summary>
    public static ReadOnlySpan<float> For(BnbQuantType type) => type switch
    {
        BnbQuantType.Nf4 => Nf4Values,
        BnbQuantType.Fp4 => Fp4Values,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a 4-bit quant type"),
    };

    private static float[] BuildFp4()
    {
        ReadOnlySpan<uint> magnitudes = [0x00000000, 0x3baaaaab, 0x3f2aaaab, 0x3f800000, 0x3eaaaaab, 0x3f000000, 0x3e2aaaab, 0x3e800000];
        var values = new float[16];
        for (var code = 0; code < 8; code++)
        {
            values[code] = BitConverter.UInt32BitsToSingle(magnitudes[code]);
            values[code + 8] = code == 0 ? 0f : -values[code];
        }
        return values;
    }
}
