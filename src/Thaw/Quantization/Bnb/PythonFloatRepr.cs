using System.Globalization;
using System.Text;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Python's <c>repr(float)</c> (what <c>json.dumps</c> writes for a float): the shortest digits that round-trip,
/// positional from 1e-4 up to 1e16 ("0.0001", "1.0", "1234.5"), otherwise scientific with a signed exponent of at
/// least two digits ("1e-05", "1.5e+16").
/// </summary>
internal static class PythonFloatRepr
{
    public static string Format(double value)
    {
        if (double.IsNaN(value))
            return "NaN";
        if (double.IsInfinity(value))
            return value > 0 ? "Infinity" : "-Infinity";
        if (value == 0)
            return double.IsNegative(value) ? "-0.0" : "0.0";

        // .NET's round-trip format has the same shortest digits; only the layout differs.
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? text : text[..e];
        var exponent = e < 0 ? 0 : int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        // value = 0.DIGITS × 10^decimalPoint, with no leading or trailing zeros in DIGITS.
        var decimalPoint = (point < 0 ? mantissa.Length : point) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        decimalPoint -= leadingZeros;

        var result = new StringBuilder(32);
        if (value < 0)
            result.Append('-');
        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            result.Append(digits[0]);
            if (digits.Length > 1)
                result.Append('.').Append(digits, 1, digits.Length - 1);
            var shown = decimalPoint - 1;
            result.Append('e').Append(shown < 0 ? '-' : '+').Append(Math.Abs(shown).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decimalPoint <= 0)
        {
            result.Append("0.").Append('0', -decimalPoint).Append(digits);
        }
        else if (decimalPoint >= digits.Length)
        {
            result.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
        }
        else
        {
            result.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }
        return result.ToString();
    }
}
