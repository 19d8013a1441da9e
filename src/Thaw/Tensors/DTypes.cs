using System.Diagnostics.CodeAnalysis;

namespace Thaw.Tensors;

/// <summary>Facts about each <see cref="DType"/>: sizes and the names the formats use for it.</summary>
public static class DTypes
{
    private static readonly string[] SafetensorsNames =
    [
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    ];

    private static readonly Dictionary<string, DType> BySafetensorsName =
        SafetensorsNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (DType)p.i, StringComparer.Ordinal);

    /// <summary>Bits per element (4 for F4, 6 for the F6 types).</summary>
    public static int BitSize(DType dtype) => dtype switch
    {
        DType.F4 => 4,
        DType.F6_E2M3 or DType.F6_E3M2 => 6,
        DType.Bool or DType.U8 or DType.I8 or DType.F8_E5M2 or DType.F8_E4M3 or DType.F8_E8M0
            or DType.F8_E4M3FNUZ or DType.F8_E5M2FNUZ => 8,
        DType.I16 or DType.U16 or DType.F16 or DType.BF16 => 16,
        DType.I32 or DType.U32 or DType.F32 => 32,
        DType.C64 or DType.F64 or DType.I64 or DType.U64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for types whose elements are whole bytes.</summary>
    public static bool IsByteAligned(DType dtype) => BitSize(dtype) % 8 == 0;

    /// <summary>Bytes per element; only for byte-aligned types.</summary>
    public static int ByteSize(DType dtype)
    {
        var bits = BitSize(dtype);
        if (bits % 8 != 0)
            throw new ArgumentException($"{SafetensorsName(dtype)} elements are {bits} bits, not whole bytes", nameof(dtype));
        return bits / 8;
    }

    /// <summary>True for the floating-point types Thaw converts to and from float32.</summary>
    public static bool IsConvertibleFloat(DType dtype) =>
        dtype is DType.F32 or DType.F16 or DType.BF16 or DType.F64 or DType.F8_E4M3 or DType.F8_E5M2;

    /// <summary>The dtype string in a safetensors header ("BF16", "F8_E4M3", ...).</summary>
    public static string SafetensorsName(DType dtype) => SafetensorsNames[(int)dtype];

    /// <summary>Parses a safetensors dtype string (case-sensitive, as the reference reader).</summary>
    public static bool TryParseSafetensorsName(string name, out DType dtype) => BySafetensorsName.TryGetValue(name, out dtype);

    /// <summary>The torch dtype name without the "torch." prefix ("bfloat16", "float8_e4m3fn", ...).</summary>
    public static string TorchName(DType dtype) => dtype switch
    {
        DType.Bool => "bool",
        DType.F4 => "float4_e2m1fn_x2",
        DType.F6_E2M3 => "float6_e2m3fn",
        DType.F6_E3M2 => "float6_e3m2fn",
        DType.U8 => "uint8",
        DType.I8 => "int8",
        DType.F8_E5M2 => "float8_e5m2",
        DType.F8_E4M3 => "float8_e4m3fn",
        DType.F8_E8M0 => "float8_e8m0fnu",
        DType.F8_E4M3FNUZ => "float8_e4m3fnuz",
        DType.F8_E5M2FNUZ => "float8_e5m2fnuz",
        DType.I16 => "int16",
        DType.U16 => "uint16",
        DType.F16 => "float16",
        DType.BF16 => "bfloat16",
        DType.I32 => "int32",
        DType.U32 => "uint32",
        DType.F32 => "float32",
        DType.C64 => "complex64",
        DType.F64 => "float64",
        DType.I64 => "int64",
        DType.U64 => "uint64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>
    /// Parses a torch dtype name as config.json and bitsandbytes' quant-state JSON write it, with or without the
    /// "torch." prefix, including the aliases torch accepts ("half", "float", "bf16" is not one of them).
    /// </summary>
    public static bool TryParseTorchName(string? name, [NotNullWhen(true)] out DType? dtype)
    {
        dtype = null;
        if (string.IsNullOrEmpty(name))
            return false;
        var bare = name.StartsWith("torch.", StringComparison.Ordinal) ? name[6..] : name;
        dtype = bare switch
        {
            "float32" or "float" => DType.F32,
            "float16" or "half" => DType.F16,
            "bfloat16" => DType.BF16,
            "float64" or "double" => DType.F64,
            "float8_e4m3fn" => DType.F8_E4M3,
            "float8_e5m2" => DType.F8_E5M2,
            "float8_e4m3fnuz" => DType.F8_E4M3FNUZ,
            "float8_e5m2fnuz" => DType.F8_E5M2FNUZ,
            "float8_e8m0fnu" => DType.F8_E8M0,
            "uint8" => DType.U8,
            "int8" => DType.I8,
            "int16" or "short" => DType.I16,
            "uint16" => DType.U16,
            "int32" or "int" => DType.I32,
            "uint32" => DType.U32,
            "int64" or "long" => DType.I64,
            "uint64" => DType.U64,
            "bool" => DType.Bool,
            "complex64" or "cfloat" => DType.C64,
            _ => null,
        };
        return dtype is not null;
    }
}
