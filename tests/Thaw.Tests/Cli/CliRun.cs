using Thaw.Cli;

namespace Thaw.Tests.Cli;

/// <summary>Runs the thaw command in-process with captured output.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static CliRun Of(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ThawCommand.Run(args, new CliContext(stdout, stderr, OutIsTerminal: false, ErrorIsTerminal: false));
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The error output's lines, without the trailing empty one.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
