using Spectre.Console;

namespace Thaw.Cli.Rendering;

/// <summary>Spectre consoles over the CLI's writers: colour only on a terminal, wide enough for tensor names otherwise.</summary>
internal static class Consoles
{
    private const int RedirectedWidth = 240;

    public static IAnsiConsole For(TextWriter writer, bool isTerminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal)
            console.Profile.Width = RedirectedWidth;
        return console;
    }
}
