using System.Globalization;

namespace Thaw.IO;

/// <summary>
/// Byte counts as people type them on the command line ("500MB", "5GB", "2GiB", "1024") and as Thaw prints them.
/// KB/MB/GB/TB are decimal (10^3n), exactly as huggingface_hub's <c>parse_size_to_int</c> reads
/// <c>max_shard_size</c>; KiB/MiB/GiB/TiB are binary (2^10n). Units are case-insensitive.
/// </summary>
public static class ByteSize
{
    private static readonly (string Unit, long Multiplier)[] Units =
    [
        ("B", 1),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
    ];

    private static readonly string[] FormatUnits = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];

    /// <summary>
    /// Parses "40KB", "1.5 GB", "2gib" or a plain byte count. A fraction is allowed with a unit and rounds down to
    /// whole bytes, like huggingface_hub's <c>int(float(value) * multiplier)</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not a non-negative size that fits in 64 bits.</exception>
    public static long Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var bytes, out var problem))
            return bytes;
        throw new FormatException($"'{text}' is not a byte size: {problem}; write e.g. 500MB, 5GB, 2GiB or a plain byte count such as 1024");
    }

    /// <summary>Like <see cref="Parse"/> but returns false instead of throwing.</summary>
    public static bool TryParse(string? text, out long bytes) => TryParse(text, out bytes, out _);

    private static bool TryParse(string? text, out long bytes, out string problem)
    {
        bytes = 0;
        var trimmed = (text ?? "").Trim();
        var numberLength = 0;
        while (numberLength < trimmed.Length && (char.IsAsciiDigit(trimmed[numberLength]) || trimmed[numberLength] == '.'))
            numberLength++;
        var number = trimmed[..numberLength];
        var unit = trimmed[numberLength..].TrimStart();

        if (!IsPlainDecimal(number))
        {
            problem = "it must start with a non-negative number";
            return false;
        }
        long multiplier = 1;
        if (unit.Length > 0)
        {
            var match = Array.FindIndex(Units, u => string.Equals(u.Unit, unit, StringComparison.OrdinalIgnoreCase));
            if (match < 0)
            {
                problem = $"unknown unit '{unit}' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)";
                return false;
            }
            multiplier = Units[match].Multiplier;
        }
        else if (number.Contains('.', StringComparison.Ordinal))
        {
            problem = "a byte count without a unit must be a whole number";
            return false;
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value > (decimal)long.MaxValue / multiplier)
        {
            problem = "it does not fit in 64 bits";
            return false;
        }
        bytes = (long)decimal.Truncate(value * multiplier);
        problem = "";
        return true;
    }

    private static bool IsPlainDecimal(string number)
    {
        var dot = number.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
            return number.Length > 0;
        // "1.5" and "1." and ".5" are numbers to Python's float(); "." and "1.2.3" are not.
        return number.Length > 1 && number.IndexOf('.', dot + 1) < 0;
    }

    /// <summary>
    /// Formats a byte count with decimal (SI) units, the convention of huggingface_hub and of the sizes this class
    /// parses by default: "512 B", "40 KB", "4.2 MB", "13.5 GB". One decimal, dropped when zero.
    /// </summary>
    public static string Format(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        double value = bytes;
        var unit = 0;
        while (unit < FormatUnits.Length - 1 && Math.Round(value, 1) >= 1000)
        {
            value /= 1000;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {FormatUnits[unit]}");
    }
}
