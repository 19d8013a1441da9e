using System.Globalization;
using System.Text.RegularExpressions;

namespace Thaw.Formats.Gguf.Conversion;

/// <summary>general.name and general.size_label as gguf-py's metadata heuristics derive them.</summary>
public static partial class GgufModelNaming
{
    /// <summary>
    /// A folder name as a title (gguf-py <c>Metadata.id_to_title</c>): dashes become spaces, all-lowercase words are
    /// title-cased unless they are versions or start with a digit. "A1-llama-bf16" → "A1 Llama Bf16".
    /// </summary>
    public static string Title(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        var words = modelId.Trim().Replace('-', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Select(w => IsLower(w) && !VersionOrNumber().IsMatch(w) ? TitleCase(w) : w));
    }

    /// <summary>
    /// A parameter count in gguf-py's rounded notation (<c>model_weight_count_rounded_notation</c>, two significant
    /// digits at least): 2078880 → "2.1M", 6738415616 → "6.7B", 13015864320 → "13B".
    /// </summary>
    public static string SizeLabel(long parameters)
    {
        var (scaled, suffix) = parameters switch
        {
            > 1_000_000_000_000 => (parameters * 1e-12, "T"),
            > 1_000_000_000 => (parameters * 1e-9, "B"),
            > 1_000_000 => (parameters * 1e-6, "M"),
            _ => (parameters * 1e-3, "K"),
        };
        var integerDigits = Math.Round(scaled, MidpointRounding.ToEven).ToString(CultureInfo.InvariantCulture).TrimStart('0').Length;
        var decimals = Math.Max(2 - integerDigits, 0);
        return scaled.ToString("F" + decimals, CultureInfo.InvariantCulture) + suffix;
    }

    // Python's str.islower(): at least one cased character and no uppercase ones.
    private static bool IsLower(string word) => word.Any(char.IsLower) && !word.Any(char.IsUpper);

    // Python's str.title(): the first letter of each run of letters upper, the rest lower.
    private static string TitleCase(string word)
    {
        var chars = word.ToCharArray();
        var previousIsLetter = false;
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = previousIsLetter ? char.ToLowerInvariant(chars[i]) : char.ToUpperInvariant(chars[i]);
            previousIsLetter = char.IsLetter(chars[i]);
        }
        return new string(chars);
    }

    [GeneratedRegex(@"^(v\d+(?:\.\d+)*|\d.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionOrNumber();
}
