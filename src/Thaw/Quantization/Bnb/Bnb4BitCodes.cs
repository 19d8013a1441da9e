namespace Thaw.Quantization.Bnb;

/// <summary>
/// The value of each 4-bit code as bitsandbytes' CUDA dequantization kernel decodes it (its hard-coded
/// <c>nf4_dequantization_lut</c> and <c>dDequantizeFP4Tree</c>). The kernel ignores the quant_map stored in the
/// checkpoint, so Thaw does too, after checking that it is the table bitsandbytes writes.
/// </summary>
public static class Bnb4BitCodes
{
    /// <summary>Number of codes (and of quant_map entries).</summary>
    public const int Count = 16;

    // float32 bit patterns (spec §1.1): exact, never regenerated from norm.ppf.
    private static readonly float[] Nf4 = FromBits(
    [
        0xBF800000, 0xBF3239B1, 0xBF066B30, 0xBECA32A0, 0xBE91A24D, 0xBE3D353F, 0xBDBA7871, 0x00000000,
        0x3DA2FAFF, 0x3E24CAE3, 0x3E7C04DD, 0x3EAD033A, 0x3EE1A4B8, 0x3F1007AB, 0x3F3913B3, 0x3F800000,
    ]);

    // The kernel's fp4_dequantization_lut magnitudes times its sign (1 - 2 * bit 3), so code 8 is 0 * -1 = -0.0;
    // the quant_map bitsandbytes stores has +0.0 there (Python's int -0), the only difference (spec §1.2).
    private static readonly float[] Fp4 = FromBits(
    [
        0x00000000, 0x3BAAAAAB, 0x3F2AAAAB, 0x3F800000, 0x3EAAAAAB, 0x3F000000, 0x3E2AAAAB, 0x3E800000,
        0x80000000, 0xBBAAAAAB, 0xBF2AAAAB, 0xBF800000, 0xBEAAAAAB, 0xBF000000, 0xBE2AAAAB, 0xBE800000,
    ]);

    /// <summary>The 16 code values the CUDA kernel multiplies by absmax.</summary>
    public static ReadOnlySpan<float> Values(BnbQuantType quantType) => quantType switch
    {
        BnbQuantType.Nf4 => Nf4,
        BnbQuantType.Fp4 => Fp4,
        _ => throw new ArgumentOutOfRangeException(nameof(quantType), quantType, "expected Nf4 or Fp4"),
    };

    /// <summary>
    /// Checks a stored quant_map: 16 finite values equal to <see cref="Values"/> (zeros of either sign match, as
    /// bitsandbytes stores +0.0 where the kernel decodes -0.0).
    /// </summary>
    /// <exception cref="BnbFormatException"><see cref="BnbError.BadQuantMap"/>.</exception>
    public static void CheckStoredQuantMap(ReadOnlySpan<float> stored, BnbQuantType quantType, string? filePath, string tensorName)
    {
        if (stored.Length != Count)
            BnbFormatException.Throw(BnbError.BadQuantMap, filePath, tensorName, $"quant_map holds {stored.Length} values, expected {Count}");
        var expected = Values(quantType);
        for (var code = 0; code < Count; code++)
        {
            if (!float.IsFinite(stored[code]))
                BnbFormatException.Throw(BnbError.BadQuantMap, filePath, tensorName, $"quant_map[{code}] is {Show(stored[code])}, not a finite number; the checkpoint is damaged");
            if (stored[code] != expected[code])
                BnbFormatException.Throw(BnbError.BadQuantMap, filePath, tensorName,
                    $"quant_map[{code}] is {Show(stored[code])} but bitsandbytes' {(quantType == BnbQuantType.Nf4 ? "nf4" : "fp4")} table has {Show(expected[code])}; " +
                    "bitsandbytes decodes with its fixed table and ignores the stored one, so these codes were not written by bitsandbytes and would decode to other values than intended");
        }
    }

    private static string Show(float value) =>
        $"{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (0x{BitConverter.SingleToUInt32Bits(value):X8})";

    private static float[] FromBits(uint[] bits) => [.. bits.Select(BitConverter.UInt32BitsToSingle)];
}
