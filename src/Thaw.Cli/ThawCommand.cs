using System.CommandLine;
using System.CommandLine.Help;
using Thaw.Cli.Commands;

namespace Thaw.Cli;

/// <summary>The root command: wires subcommands, maps errors to exit codes and one-line messages.</summary>
internal static class ThawCommand
{
    public static int Run(string[] args) => Run(args, CliContext.FromConsole());

    public static int Run(string[] args, CliContext context)
    {
        // A plain root named "thaw": RootCommand would take its name from the assembly (Thaw.Cli).
        var root = new Command("thaw", "Thaw: dequantize, merge and export QLoRA fine-tunes on CPU, exactly and in bounded memory.")
        {
            new HelpOption(),
            new VersionOption(),
            InspectCommand.Create(context),
            DequantizeCommand.Create(context),
            QuantizeCommand.Create(context),
            AnalyzeCommand.Create(context),
            DoctorCommand.Create(context),
            MergeCommand.Create(context),
            ExportGgufCommand.Create(context),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                context.Error.WriteLine($"error: {error.Message}");
            context.Error.WriteLine("Run 'thaw --help' for usage.");
            return ExitCodes.Usage;
        }
        var configuration = new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return parsed.Invoke(configuration);
        }
        catch (ThawException e)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("error: interrupted; nothing was written and any existing output is unchanged");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
