using System.CommandLine;

namespace Thaw.Cli.Commands;

/// <summary>Options every command shares, built fresh per command (System.CommandLine options are not shareable).</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON on stdout." };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print nothing but errors (and the --json result)." };
}
