namespace Thaw.Formats.Gguf;

/// <summary>
/// <c>general.file_type</c>: llama.h's llama_ftype (not ggml.h's ggml_ftype, where BF16 has another number).
/// Informational: llama.cpp guesses it from the tensor types when it is absent.
/// </summary>
public enum LlamaFileType
{
    AllF32 = 0,
    MostlyF16 = 1,
    MostlyQ4_0 = 2,
    MostlyQ4_1 = 3,
    MostlyQ8_0 = 7,
    MostlyQ5_0 = 8,
    MostlyQ5_1 = 9,
    MostlyQ2_K = 10,
    MostlyQ3_K_S = 11,
    MostlyQ3_K_M = 12,
    MostlyQ3_K_L = 13,
    MostlyQ4_K_S = 14,
    MostlyQ4_K_M = 15,
    MostlyQ5_K_S = 16,
    MostlyQ5_K_M = 17,
    MostlyQ6_K = 18,
    MostlyIQ2_XXS = 19,
    MostlyIQ2_XS = 20,
    MostlyQ2_K_S = 21,
    MostlyIQ3_XS = 22,
    MostlyIQ3_XXS = 23,
    MostlyIQ1_S = 24,
    MostlyIQ4_NL = 25,
    MostlyIQ3_S = 26,
    MostlyIQ3_M = 27,
    MostlyIQ2_S = 28,
    MostlyIQ2_M = 29,
    MostlyIQ4_XS = 30,
    MostlyIQ1_M = 31,
    MostlyBF16 = 32,
    MostlyTQ1_0 = 36,
    MostlyTQ2_0 = 37,
    MostlyMXFP4_MOE = 38,
    MostlyNVFP4 = 39,
    MostlyQ1_0 = 40,
    MostlyQ2_0 = 41,
}

/// <summary>Names of <see cref="LlamaFileType"/> values.</summary>
public static class LlamaFileTypes
{
    /// <summary>llama.h's name without the LLAMA_FTYPE_ prefix ("ALL_F32", "MOSTLY_Q8_0", "MOSTLY_Q4_K_M"), or null for an unknown value.</summary>
    public static string? Name(uint value)
    {
        if (value > int.MaxValue || !Enum.IsDefined((LlamaFileType)value))
            return null;
        var name = ((LlamaFileType)value).ToString();
        // "MostlyQ4_K_M" → "MOSTLY_Q4_K_M", "AllF32" → "ALL_F32".
        var prefixLength = name.StartsWith("Mostly", StringComparison.Ordinal) ? 6 : 3;
        return name[..prefixLength].ToUpperInvariant() + "_" + name[prefixLength..].ToUpperInvariant();
    }
}
