using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// LLM.int8 weight quantization (bitsandbytes <c>Int8Params._quantize</c> → <c>int8_vectorwise_quant</c>): the weight
/// is first rounded to float16, then per row SCB = max |w16| and q = round-half-even(w16 × f32(127 / SCB)); an
/// all-zero row has SCB 0 and codes 0.
/// </summary>
public static class BnbInt8Quantizer
{
    /// <summary>
    /// The SCB of one row of a weight (its values as float32): the largest magnitude after rounding to float16.
    /// <paramref name="tensorName"/> and <paramref name="row"/> name the place in errors.
    /// </summary>
    /// <exception cref="BnbQuantizeException">A value is NaN or infinite, or outside the float16 range.</exception>
    public static float RowScale(ReadOnlySpan<float> values, string? tensorName = null, long row = 0)
    {
        var max = 0f;
        for (var i = 0; i < values.Length; i++)
        {
            var half = ToHalf(values[i]);
            if (!float.IsFinite(half))
            {
                BnbQuantizeException.Throw(BnbQuantizeError.NonFiniteValue, null, tensorName,
                    $"row {row}, column {i} is {values[i]}, which is not a finite float16 value; LLM.int8 rounds weights to float16 first, so fix or skip this module");
            }
            max = MathF.Max(max, MathF.Abs(half));
        }
        return max;
    }

    /// <summary>Quantizes one row into <paramref name="codes"/> and returns its SCB (see <see cref="RowScale"/>).</summary>
    /// <exception cref="BnbQuantizeException">A value is NaN or infinite, or outside the float16 range.</exception>
    public static float QuantizeRow(ReadOnlySpan<float> values, Span<sbyte> codes, string? tensorName = null, long row = 0)
    {
        if (codes.Length != values.Length)
            throw new ArgumentException($"codes holds {codes.Length} values; the row has {values.Length}", nameof(codes));
        var max = RowScale(values, tensorName, row);
        if (max == 0f)
        {
            // The kernel's 0 × (127 / 0) is NaN, stored as 0.
            codes.Clear();
            return 0f;
        }
        var scale = 127f / max;
        for (var i = 0; i < values.Length; i++)
            codes[i] = (sbyte)MathF.Round(ToHalf(values[i]) * scale, MidpointRounding.ToEven);
        return max;
    }

    private static float ToHalf(float value) => FloatConversions.HalfBitsToSingle(FloatConversions.SingleToHalfBits(value));
}
