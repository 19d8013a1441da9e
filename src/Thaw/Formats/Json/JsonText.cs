using System.Buffers;
using System.Globalization;
using System.Text;

namespace Thaw.Formats.Json;

/// <summary>
/// JSON string literals exactly as the reference tools write them, so outputs are byte-identical to theirs:
/// serde_json's (safetensors headers) and Python's json module with ensure_ascii (config and index files).
/// </summary>
internal static class JsonText
{
    // serde_json escapes only '"', '\' and controls; Python's ensure_ascii escapes everything outside ' '..'~'.
    private static readonly SearchValues<char> SerdeEscaped = SearchValues.Create(
        "\"\\" + string.Concat(Enumerable.Range(0, 0x20).Select(c => (char)c)));

    private static readonly SearchValues<char> PythonPlain = SearchValues.Create(
        string.Concat(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c).Where(c => c is not ('"' or '\\'))));

    /// <summary>A string literal as serde_json writes it: UTF-8 kept, only '"', '\' and controls escaped.</summary>
    public static void AppendSerdeString(StringBuilder builder, string value) =>
        AppendString(builder, value, static rest => rest.IndexOfAny(SerdeEscaped));

    /// <summary>
    /// A string literal as Python's json module writes it with ensure_ascii (the default): everything outside
    /// ' '..'~' escaped as \uxxxx (lowercase hex, UTF-16 surrogate pairs above U+FFFF).
    /// </summary>
    public static void AppendPythonString(StringBuilder builder, string value) =>
        AppendString(builder, value, static rest => rest.IndexOfAnyExcept(PythonPlain));

    private delegate int NextToEscape(ReadOnlySpan<char> rest);

    private static void AppendString(StringBuilder builder, string value, NextToEscape nextToEscape)
    {
        builder.Append('"');
        var rest = value.AsSpan();
        while (true)
        {
            var next = nextToEscape(rest);
            builder.Append(next < 0 ? rest : rest[..next]);
            if (next < 0)
                break;
            AppendEscape(builder, rest[next]);
            rest = rest[(next + 1)..];
        }
        builder.Append('"');
    }

    /// <summary>The short escapes both writers use, else \uxxxx with lowercase hex.</summary>
    private static void AppendEscape(StringBuilder builder, char c)
    {
        var escape = c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\b' => "\\b",
            '\f' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ => null,
        };
        if (escape is not null)
            builder.Append(escape);
        else
            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
    }
}
