using System.CommandLine;
using System.Globalization;
using Thaw.Cli.Rendering;
using Thaw.IO;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.Gguf;
using Thaw.Pipeline.Merge;

namespace Thaw.Cli.Commands;

/// <summary><c>thaw export-gguf MODEL --out FILE.gguf [--gguf-type TYPE] [--name NAME] [--plan] [--force] [--max-memory SIZE] [--threads N]</c>.</summary>
internal static class ExportGgufCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("MODEL") { Description = "Model folder or hub id (local HF cache only): 16-bit, or bitsandbytes 4-bit/8-bit (dequantized on the way)." };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf file (must not exist unless --force).", Required = true, HelpName = "FILE.gguf" };
        var plan = new Option<bool>("--plan") { Description = "Print the plan (key/values, tensors with types, size, memory bound, free disk) and exit without writing." };
        var gguf = new GgufOptions();
        var folderOutput = new FolderOutputOptions();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("export-gguf", "Write a model as one llama.cpp GGUF file (f32/f16/bf16/q8_0/q4_0/q4_k_m/q6_k) in one streaming pass, tokenizer included.")
        {
            model, output, plan, json, quiet,
        };
        gguf.AddTo(command);
        folderOutput.AddTo(command);
        command.SetAction(result =>
        {
            using var opened = HfModel.Open(result.GetValue(model)!);
            var request = gguf.Read(result, result.GetValue(output)!, folderOutput.Read(result), Dequantizer.OutputDType(opened, null));
            var planned = GgufExporter.Plan(MergedModel.Unchanged(opened), request);
            return GgufRun.Execute(context, result, planned, request, plan, json, quiet, "export-gguf", "the model's weights");
        });
        return command;
    }
}

/// <summary>Runs or describes a GGUF plan and prints its summary, for export-gguf and merge.</summary>
internal static class GgufRun
{
    public static int Execute(CliContext context, ParseResult result, GgufPlan planned, GgufExportRequest request,
        Option<bool> plan, Option<bool> json, Option<bool> quiet, string label, string what)
    {
        if (result.GetValue(plan))
        {
            context.Out.Write(planned.Describe());
            foreach (var note in planned.Notes)
                context.Out.WriteLine($"note: {note}");
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
                writer.WriteStartArray("notes");
                foreach (var note in planned.Notes)
                    writer.WriteStringValue(note);
                writer.WriteEndArray();
            }));
        }
        else if (!quietRun)
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {summary.Path}: {what} as GGUF {typeName}, {summary.TensorCount} tensors, {ByteSize.Format(summary.OutputBytes)}, {summary.Elapsed.TotalSeconds:0.0} s"));
            foreach (var note in planned.Notes)
                context.Out.WriteLine($"note: {note}");
        }
        return ExitCodes.Success;
    }
}
