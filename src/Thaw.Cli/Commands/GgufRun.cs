using System.CommandLine;
using System.Globalization;
using Thaw.Cli.Rendering;
using Thaw.IO;
using Thaw.Pipeline.Gguf;

namespace Thaw.Cli.Commands;

/// <summary>Runs or describes a GGUF plan and prints its summary, for export-gguf and merge.</summary>
internal static class GgufRun
{
    public static int Execute(CliContext context, ParseResult result, GgufPlan planned, GgufExportRequest request,
        Option<bool> plan, Option<bool> json, Option<bool> quiet, string label, string what)
    {
        if (result.GetValue(plan))
        {
            if (result.GetValue(json))
            {
                context.Out.WriteLine(PlanJson.Serialize(planned));
                return ExitCodes.Success;
            }
            context.Out.Write(planned.Describe());
            Notes.Write(context.Out, planned.Notes);
            return ExitCodes.Success;
        }
        var quietRun = result.GetValue(quiet);
        var summary = ProgressDisplay.Run(context, quietRun, label, (progress, cancellation) => GgufFileOutput.Write(planned, progress, cancellation));
        var typeName = request.Type.ToString().ToLowerInvariant();
        if (result.GetValue(json))
        {
            context.Out.WriteLine(RunSummaryJson.Serialize(summary, null, writer =>
            {
                writer.WriteString("gguf_type", typeName);
                writer.WriteNumber("parameters", planned.ParameterCount);
                Notes.Write(writer, planned.Notes);
            }));
        }
        else if (!quietRun)
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {summary.Path}: {what} as GGUF {typeName}, {summary.TensorCount} tensors, {ByteSize.Format(summary.OutputBytes)}, {summary.Elapsed.TotalSeconds:0.0} s"));
            Notes.Write(context.Out, planned.Notes);
        }
        return ExitCodes.Success;
    }
}
