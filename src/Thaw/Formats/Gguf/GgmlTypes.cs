using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Gguf;

/// <summary>Block size and bytes per block of each ggml type (<c>ggml.c</c> type_traits, <c>ggml-common.h</c>).</summary>
public static class GgmlTypes
{
    /// <summary>GGML_TYPE_COUNT of the ggml version the table follows; ids at or above it are unknown.</summary>
    public const int Count = 43;

    private static readonly (int BlockSize, int TypeSize, string Name)[] Traits = BuildTraits();

    /// <summary>True when <paramref name="id"/> names a ggml type that exists (not removed, below <see cref="Count"/>).</summary>
    public static bool IsKnown(long id) => id is >= 0 and < Count && Traits[id].BlockSize != 0;

    /// <summary>Elements per block (1 for the plain float and integer types).</summary>
    public static int BlockSize(GgmlType type) => Get(type).BlockSize;

    /// <summary>Bytes per block.</summary>
    public static int TypeSize(GgmlType type) => Get(type).TypeSize;

    /// <summary>ggml's lower-case name: "f32", "q8_0", "q4_K", ...</summary>
    public static string Name(GgmlType type) => Get(type).Name;

    /// <summary>
    /// Bytes of a row of <paramref name="elements"/> elements, or null when the count is negative or not a whole
    /// number of blocks.
    /// </summary>
    public static long? RowByteLength(GgmlType type, long elements)
    {
        var (block, size, _) = Get(type);
        if (elements < 0 || elements % block != 0)
            return null;
        return elements / block * size;
    }

    /// <summary>
    /// Bytes of a tensor with ggml dimensions <paramref name="ne"/> (ne[0] innermost): ne0/block·size·ne1·ne2·ne3.
    /// False when a dimension is negative, ne0 is not a whole number of blocks, or the size overflows.
    /// </summary>
    public static bool TryByteLength(GgmlType type, ReadOnlySpan<long> ne, out long bytes)
    {
        bytes = 0;
        var row = RowByteLength(type, ne.Length == 0 ? 1 : ne[0]);
        if (row is null)
            return false;
        try
        {
            var total = row.Value;
            for (var i = 1; i < ne.Length; i++)
            {
                if (ne[i] < 0)
                    return false;
                total = checked(total * ne[i]);
            }
            bytes = total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Parses a ggml type name (case-insensitive: "q8_0", "Q4_K", "bf16").</summary>
    public static bool TryParse(string name, [NotNullWhen(true)] out GgmlType? type)
    {
        for (var id = 0; id < Count; id++)
        {
            if (Traits[id].BlockSize != 0 && string.Equals(Traits[id].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                type = (GgmlType)id;
                return true;
            }
        }
        type = null;
        return false;
    }

    private static (int BlockSize, int TypeSize, string Name) Get(GgmlType type)
    {
        var id = (int)type;
        if (!IsKnown(id))
            throw new ArgumentOutOfRangeException(nameof(type), type, "not a ggml type id");
        return Traits[id];
    }

    private static (int, int, string)[] BuildTraits()
    {
        var t = new (int, int, string)[Count];
        t[(int)GgmlType.F32] = (1, 4, "f32");
        t[(int)GgmlType.F16] = (1, 2, "f16");
        t[(int)GgmlType.Q4_0] = (32, 18, "q4_0");
        t[(int)GgmlType.Q4_1] = (32, 20, "q4_1");
        t[(int)GgmlType.Q5_0] = (32, 22, "q5_0");
        t[(int)GgmlType.Q5_1] = (32, 24, "q5_1");
        t[(int)GgmlType.Q8_0] = (32, 34, "q8_0");
        t[(int)GgmlType.Q8_1] = (32, 36, "q8_1");
        t[(int)GgmlType.Q2_K] = (256, 84, "q2_K");
        t[(int)GgmlType.Q3_K] = (256, 110, "q3_K");
        t[(int)GgmlType.Q4_K] = (256, 144, "q4_K");
        t[(int)GgmlType.Q5_K] = (256, 176, "q5_K");
        t[(int)GgmlType.Q6_K] = (256, 210, "q6_K");
        t[(int)GgmlType.Q8_K] = (256, 292, "q8_K");
        t[(int)GgmlType.IQ2_XXS] = (256, 66, "iq2_xxs");
        t[(int)GgmlType.IQ2_XS] = (256, 74, "iq2_xs");
        t[(int)GgmlType.IQ3_XXS] = (256, 98, "iq3_xxs");
        t[(int)GgmlType.IQ1_S] = (256, 50, "iq1_s");
        t[(int)GgmlType.IQ4_NL] = (32, 18, "iq4_nl");
        t[(int)GgmlType.IQ3_S] = (256, 110, "iq3_s");
        t[(int)GgmlType.IQ2_S] = (256, 82, "iq2_s");
        t[(int)GgmlType.IQ4_XS] = (256, 136, "iq4_xs");
        t[(int)GgmlType.I8] = (1, 1, "i8");
        t[(int)GgmlType.I16] = (1, 2, "i16");
        t[(int)GgmlType.I32] = (1, 4, "i32");
        t[(int)GgmlType.I64] = (1, 8, "i64");
        t[(int)GgmlType.F64] = (1, 8, "f64");
        t[(int)GgmlType.IQ1_M] = (256, 56, "iq1_m");
        t[(int)GgmlType.BF16] = (1, 2, "bf16");
        t[(int)GgmlType.TQ1_0] = (256, 54, "tq1_0");
        t[(int)GgmlType.TQ2_0] = (256, 66, "tq2_0");
        t[(int)GgmlType.MXFP4] = (32, 17, "mxfp4");
        t[(int)GgmlType.NVFP4] = (64, 36, "nvfp4");
        t[(int)GgmlType.Q1_0] = (128, 18, "q1_0");
        t[(int)GgmlType.Q2_0] = (64, 18, "q2_0");
        return t;
    }
}
