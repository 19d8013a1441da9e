using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The per-weight quant state bitsandbytes stores next to a 4-bit weight, in the uint8 tensor
/// <c>&lt;module&gt;.weight.quant_state.bitsandbytes__nf4</c> (or <c>__fp4</c>): the UTF-8 bytes of
/// <c>json.dumps</c> of quant_type, blocksize, dtype, shape and, when double-quantized, nested_blocksize,
/// nested_dtype and nested_offset. Parsed strictly: any unknown, missing, repeated or mistyped key is an error.
/// </summary>
/// <param name="QuantType">The 4-bit code table.</param>
/// <param name="Blocksize">Elements per absmax block.</param>
/// <param name="DType">The dtype dequantization produces (the dtype the weight had before quantization).</param>
/// <param name="Shape">The weight's original shape; null when bitsandbytes stored none.</param>
/// <param name="Nested">The double-quantization parameters; null for plain float32 absmax.</param>
public sealed record BnbQuantState(
    BnbQuantType QuantType,
    int Blocksize,
    DType DType,
    ImmutableArray<long>? Shape,
    BnbNestedQuantState? Nested)
{
    /// <summary>What separates the weight name from the quant type in the quant-state tensor's name.</summary>
    public const string KeyInfix = ".quant_state.bitsandbytes__";

    /// <summary>Quant-state tensors larger than this are refused before reading (real ones are under 200 bytes).</summary>
    public const int MaxJsonBytes = 64 * 1024;

    /// <summary>The block sizes bitsandbytes supports (32 since 0.50).</summary>
    public static ImmutableArray<int> ValidBlocksizes { get; } = [32, 64, 128, 256, 512, 1024, 2048, 4096];

    private static readonly string[] RequiredKeys = ["quant_type", "blocksize", "dtype", "shape"];
    private static readonly string[] NestedKeys = ["nested_blocksize", "nested_dtype", "nested_offset"];

    /// <summary>True when the weight's absmax values are themselves quantized (bnb_4bit_use_double_quant).</summary>
    public bool IsDoubleQuant => Nested is not null;

    /// <summary>The number of weight elements; null when there is no shape.</summary>
    public long? ElementCount
    {
        get
        {
            if (Shape is not { } shape)
                return null;
            long n = 1;
            foreach (var d in shape)
                n *= d;
            return n;
        }
    }

    /// <summary>
    /// Splits a quant-state tensor name into the weight it describes and the quant type it names;
    /// false when the name is not a quant-state key.
    /// </summary>
    public static bool TryParseKey(string tensorName, [NotNullWhen(true)] out string? weightName, out BnbQuantType quantType)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        weightName = null;
        quantType = default;
        var at = tensorName.LastIndexOf(KeyInfix, StringComparison.Ordinal);
        if (at <= 0)
            return false;
        switch (tensorName[(at + KeyInfix.Length)..])
        {
            case "nf4":
                quantType = BnbQuantType.Nf4;
                break;
            case "fp4":
                quantType = BnbQuantType.Fp4;
                break;
            default:
                return false;
        }
        weightName = tensorName[..at];
        return true;
    }

    /// <summary>
    /// Parses the JSON bytes of the quant-state tensor <paramref name="tensorName"/>, whose name must end in
    /// .quant_state.bitsandbytes__nf4 or __fp4 matching the JSON's quant_type.
    /// </summary>
    public static BnbQuantState Parse(ReadOnlySpan<byte> json, string tensorName, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        var parser = new Parser(filePath, tensorName);
        if (!TryParseKey(tensorName, out _, out var keyType))
            parser.Fail(BnbError.BadKeyName, $"a quant-state tensor's name must end in '{KeyInfix}nf4' or '{KeyInfix}fp4'");
        if (json.Length > MaxJsonBytes)
            parser.Fail(BnbError.BadQuantStateTensor, $"quant state is {json.Length} bytes, more than {MaxJsonBytes}; the tensor is not a bitsandbytes quant state");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new BnbFormatException(BnbError.BadJson, filePath, tensorName, $"quant state is not valid JSON ({e.Message}); the checkpoint is damaged", e);
        }
        using (document)
        {
            try
            {
                return parser.Read(document.RootElement, keyType);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument checks the UTF-8 of strings only when they are read.
                throw new BnbFormatException(BnbError.BadJson, filePath, tensorName, $"quant state holds text that is not valid UTF-8 ({e.Message}); the checkpoint is damaged", e);
            }
        }
    }

    private readonly struct Parser(string? filePath, string tensorName)
    {
        public BnbQuantState Read(JsonElement root, BnbQuantType keyType)
        {
            if (root.ValueKind != JsonValueKind.Object)
                Fail(BnbError.BadJson, $"quant state is a JSON {root.ValueKind}, expected an object");

            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!RequiredKeys.Contains(property.Name) && !NestedKeys.Contains(property.Name))
                    Fail(BnbError.UnknownKey, $"quant state has the key '{Shorten(property.Name)}', which bitsandbytes does not write (expected {string.Join(", ", RequiredKeys.Concat(NestedKeys))})");
                if (!values.TryAdd(property.Name, property.Value))
                    Fail(BnbError.DuplicateKey, $"quant state has the key '{property.Name}' twice");
            }
            foreach (var key in RequiredKeys)
            {
                if (!values.ContainsKey(key))
                    Fail(BnbError.MissingKey, $"quant state lacks the key '{key}'");
            }

            var quantType = ReadQuantType(values["quant_type"]);
            if (quantType != keyType)
                Fail(BnbError.QuantTypeMismatch, $"quant state says quant_type '{Name(quantType)}' but the tensor name says '{Name(keyType)}'");
            var blocksize = ReadBlocksize(values["blocksize"], "blocksize");
            var dtype = ReadDType(values["dtype"], "dtype");
            var shape = ReadShape(values["shape"]);

            var nestedCount = NestedKeys.Count(values.ContainsKey);
            if (nestedCount == 0)
                return new BnbQuantState(quantType, blocksize, dtype, shape, null);
            if (nestedCount != NestedKeys.Length)
                Fail(BnbError.MissingKey, $"quant state has only some of the double-quant keys (needs all of {string.Join(", ", NestedKeys)})");
            var nested = new BnbNestedQuantState(
                ReadBlocksize(values["nested_blocksize"], "nested_blocksize"),
                ReadDType(values["nested_dtype"], "nested_dtype"),
                ReadOffset(values["nested_offset"]));
            return new BnbQuantState(quantType, blocksize, dtype, shape, nested);
        }

        private BnbQuantType ReadQuantType(JsonElement value)
        {
            RequireKind(value, JsonValueKind.String, "quant_type", "a string");
            return value.GetString() switch
            {
                "nf4" => BnbQuantType.Nf4,
                "fp4" => BnbQuantType.Fp4,
                var other => Fail<BnbQuantType>(BnbError.BadQuantType, $"quant_type is '{Shorten(other!)}', expected 'nf4' or 'fp4'"),
            };
        }

        private int ReadBlocksize(JsonElement value, string key)
        {
            RequireKind(value, JsonValueKind.Number, key, "an integer");
            if (!value.TryGetInt32(out var blocksize))
                Fail(BnbError.WrongType, $"{key} is {value.GetRawText()}, expected an integer");
            if (!ValidBlocksizes.Contains(blocksize))
                Fail(BnbError.BadBlocksize, $"{key} is {blocksize}, expected one of {string.Join(", ", ValidBlocksizes)}");
            return blocksize;
        }

        private DType ReadDType(JsonElement value, string key)
        {
            RequireKind(value, JsonValueKind.String, key, "a string");
            // bitsandbytes writes str(torch_dtype) without the "torch." prefix and reads it back with getattr(torch, ...).
            return value.GetString() switch
            {
                "float16" => DType.F16,
                "bfloat16" => DType.BF16,
                "float32" => DType.F32,
                var other => Fail<DType>(BnbError.BadDType, $"{key} is '{Shorten(other!)}', expected 'float16', 'bfloat16' or 'float32'"),
            };
        }

        private ImmutableArray<long>? ReadShape(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null)
                return null;
            RequireKind(value, JsonValueKind.Array, "shape", "a list of integers or null");
            var dims = ImmutableArray.CreateBuilder<long>(value.GetArrayLength());
            long elements = 1;
            foreach (var item in value.EnumerateArray())
            {
                long d = 0;
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out d))
                    Fail(BnbError.WrongType, $"shape is {Shorten(value.GetRawText())}, expected a list of integers");
                if (d < 0)
                    Fail(BnbError.BadShape, $"shape {Shorten(value.GetRawText())} has a negative dimension");
                if (d != 0 && elements > long.MaxValue / d)
                    Fail(BnbError.BadShape, $"shape {Shorten(value.GetRawText())} has more than {long.MaxValue} elements");
                elements *= d;
                dims.Add(d);
            }
            return dims.MoveToImmutable();
        }

        private float ReadOffset(JsonElement value)
        {
            RequireKind(value, JsonValueKind.Number, "nested_offset", "a number");
            // Python writes the float32 offset as the repr of a double; the nearest float32 is the stored value.
            var offset = (float)value.GetDouble();
            if (!float.IsFinite(offset))
                Fail(BnbError.BadNestedOffset, $"nested_offset is {value.GetRawText()}, not a finite float32");
            return offset;
        }

        private void RequireKind(JsonElement value, JsonValueKind kind, string key, string expected)
        {
            if (value.ValueKind != kind)
                Fail(BnbError.WrongType, $"{key} is {Shorten(value.GetRawText())}, expected {expected}");
        }

        [DoesNotReturn]
        public void Fail(BnbError reason, string detail) => BnbFormatException.Throw(reason, filePath, tensorName, detail);

        [DoesNotReturn]
        private T Fail<T>(BnbError reason, string detail)
        {
            Fail(reason, detail);
            return default;
        }

        private static string Name(BnbQuantType type) => type == BnbQuantType.Nf4 ? "nf4" : "fp4";

        private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "...";
    }
}
