using System.CommandLine;
using Thaw.IO;

namespace Thaw.Cli.Commands;

/// <summary>Size and thread-count options ("500MB", "5GB", "2GiB"; "4"); a bad value is a usage error (exit 2).</summary>
internal static class ResourceOptions
{
    // No DefaultValueFactory: help would print the default in bytes. An absent option reads as 0, which the
    // parsers never return, and the command substitutes the default (named in the description).
    public static Option<long> Size(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "SIZE",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!ByteSize.TryParse(text, out var bytes) || bytes <= 0)
            {
                result.AddError($"{name}: '{text}' is not a positive byte size; write e.g. 500MB, 5GB or 2GiB");
                return 0;
            }
            return bytes;
        },
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (default: one per processor).",
        HelpName = "N",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var threads) || threads < 1)
            {
                result.AddError($"--threads: '{text}' is not a whole number of at least 1");
                return 0;
            }
            return threads;
        },
    };

    /// <summary>The option's value, or <paramref name="fallback"/> when it was not given.</summary>
    public static T ValueOr<T>(this System.CommandLine.ParseResult result, Option<T> option, T fallback) where T : struct, IEquatable<T> =>
        result.GetValue(option) is var value && !value.Equals(default) ? value : fallback;
}
