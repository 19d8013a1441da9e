namespace Thaw.Cli;

/// <summary>The exit codes of the command contract (DESIGN.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
