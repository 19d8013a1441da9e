namespace Thaw.Formats.Gguf;

/// <summary>The 13 GGUF metadata value types, with their ids in the file.</summary>
public enum GgufValueType
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>Sizes and names of the value types.</summary>
public static class GgufValueTypes
{
    /// <summary>Number of value type ids; ids at or above it are unknown.</summary>
    public const int Count = 13;

    /// <summary>Bytes of one value of a fixed-width type; 0 for STRING and ARRAY.</summary>
    public static int FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        GgufValueType.String or GgufValueType.Array => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a GGUF value type"),
    };

    /// <summary>The fewest bytes a value of this type takes in a file (a string's 8-byte length, an array's 12-byte head).</summary>
    public static int MinimumSize(GgufValueType type) => type switch
    {
        GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => FixedSize(type),
    };

    /// <summary>The lower-case name used by gguf-py and in inspect output: "uint32", "float32", "string", ...</summary>
    public static string Name(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "uint8",
        GgufValueType.Int8 => "int8",
        GgufValueType.UInt16 => "uint16",
        GgufValueType.Int16 => "int16",
        GgufValueType.UInt32 => "uint32",
        GgufValueType.Int32 => "int32",
        GgufValueType.Float32 => "float32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "uint64",
        GgufValueType.Int64 => "int64",
        GgufValueType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a GGUF value type"),
    };
}
