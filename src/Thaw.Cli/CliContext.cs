namespace Thaw.Cli;

/// <summary>Where a command writes: stdout for results, stderr for errors and progress.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool OutIsTerminal, bool ErrorIsTerminal)
{
    public static CliContext FromConsole() =>
        new(Console.Out, Console.Error, !Console.IsOutputRedirected, !Console.IsErrorRedirected);
}
