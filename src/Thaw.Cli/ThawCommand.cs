using System.CommandLine;

namespace Thaw.Cli;

/// <summary>The root command: wires subcommands, maps errors to exit codes.</summary>
internal static class ThawCommand
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Thaw: dequantize, merge and export QLoRA fine-tunes on CPU.");
        return root.Parse(args).Invoke();
    }
}
