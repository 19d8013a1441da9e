using System.Globalization;
using System.Text;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The bytes of the <c>weight.quant_state.bitsandbytes__nf4|fp4</c> tensor exactly as bitsandbytes writes them:
/// <c>json.dumps</c> of quant_type, blocksize, dtype, shape and, when double-quantized, nested_blocksize,
/// nested_dtype and nested_offset, in that order, with Python's ", " and ": " separators and float repr.
/// </summary>
public static class BnbQuantStateJson
{
    public static byte[] Serialize(BnbQuantState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = new StringBuilder(200);
        json.Append("{\"quant_type\": \"").Append(state.QuantType == BnbQuantType.Nf4 ? "nf4" : "fp4").Append('"');
        json.Append(", \"blocksize\": ").Append(state.Blocksize.ToString(CultureInfo.InvariantCulture));
        json.Append(", \"dtype\": \"").Append(DTypes.TorchName(state.DType)).Append('"');
        json.Append(", \"shape\": ");
        if (state.Shape is { } shape)
            json.Append('[').Append(string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append(']');
        else
            json.Append("null");
        if (state.Nested is { } nested)
        {
            json.Append(", \"nested_blocksize\": ").Append(nested.Blocksize.ToString(CultureInfo.InvariantCulture));
            json.Append(", \"nested_dtype\": \"").Append(DTypes.TorchName(nested.DType)).Append('"');
            // offset.item(): the float32 value as a Python float (double), printed by repr.
            json.Append(", \"nested_offset\": ").Append(PythonFloatRepr.Format(nested.Offset));
        }
        json.Append('}');
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
