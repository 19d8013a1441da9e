namespace Thaw.Cli;

internal static class Program
{
    private static int Main(string[] args) => ThawCommand.Run(args);
}
