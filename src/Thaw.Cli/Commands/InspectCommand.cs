using System.CommandLine;
using Thaw.Cli.Rendering;
using Thaw.Inspection;

namespace Thaw.Cli.Commands;

/// <summary><c>thaw inspect PATH [--json]</c>.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var path = new Argument<string>("PATH")
        {
            Description = "Model folder, hub id (org/name[@revision], local HF cache only), .safetensors, .bin or .gguf file, or adapter folder.",
        };
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("inspect", "Show a model's or adapter's architecture, tensors, quantization, parameter count and sizes.")
        {
            path, json, quiet,
        };
        command.SetAction(result =>
        {
            var report = Inspector.Inspect(result.GetValue(path)!);
            if (result.GetValue(json))
                context.Out.WriteLine(InspectionJson.Serialize(report));
            else if (!result.GetValue(quiet))
                InspectRenderer.Render(Consoles.For(context.Out, context.OutIsTerminal), report);
            return ExitCodes.Success;
        });
        return command;
    }
}
