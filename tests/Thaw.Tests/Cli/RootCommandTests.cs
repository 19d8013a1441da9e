namespace Thaw.Tests.Cli;

public class RootCommandTests
{
    [Fact]
    public void HelpNamesTheCommandThaw()
    {
        var run = CliRun.Of("--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("thaw [command] [options]", run.Out, StringComparison.Ordinal);
        Assert.Contains("inspect <PATH>", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOptionIsAUsageErrorWithOneHint()
    {
        var run = CliRun.Of("inspect", "x", "--no-such-option");
        Assert.Equal(2, run.ExitCode);
        Assert.All(run.ErrorLines[..^1], line => Assert.StartsWith("error: ", line, StringComparison.Ordinal));
        Assert.Equal("Run 'thaw --help' for usage.", run.ErrorLines[^1]);
    }
}
