using System.Globalization;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Checks on the values (not the layout, see <see cref="BnbStoredLayout"/>) of the small tensors that decode a
/// quantized weight. A NaN or infinite scale would silently turn whole blocks or rows of weights into NaN.
/// </summary>
public static class BnbStoredValues
{
    /// <summary>The only LLM.int8 weight_format Thaw (and bitsandbytes ≥ 0.46) reads: row-major.</summary>
    public const byte RowMajorFormat = 0;

    private static readonly string[] FormatNames = ["row", "col32", "col_turing", "col_ampere"];

    /// <summary>Requires every value to be finite; <paramref name="firstIndex"/> is the index of values[0] in the tensor.</summary>
    /// <exception cref="BnbFormatException"><see cref="BnbError.NonFiniteValue"/>.</exception>
    public static void RequireFinite(ReadOnlySpan<float> values, long firstIndex, string? filePath, string tensorName)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                BnbFormatException.Throw(BnbError.NonFiniteValue, filePath, tensorName,
                    $"value {firstIndex + i} is {values[i].ToString(CultureInfo.InvariantCulture)}, but scales and code tables must be finite; the checkpoint is damaged");
        }
    }

    /// <summary>Requires an LLM.int8 weight_format of 0 (row-major).</summary>
    /// <exception cref="BnbFormatException"><see cref="BnbError.UnsupportedWeightFormat"/>.</exception>
    public static void RequireRowMajor(byte weightFormat, string? filePath, string tensorName)
    {
        if (weightFormat == RowMajorFormat)
            return;
        var name = weightFormat < FormatNames.Length ? $" ({FormatNames[weightFormat]})" : "";
        BnbFormatException.Throw(BnbError.UnsupportedWeightFormat, filePath, tensorName,
            $"weight_format is {weightFormat}{name}, but only 0 (row) is supported: the weight is stored in a GPU tile layout; " +
            "load and save the model with bitsandbytes 0.45.x, which converts it back to row-major");
    }
}
