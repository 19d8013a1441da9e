using System.CommandLine;
using Thaw.Cli.Rendering;
using System.Globalization;
using Thaw.Analysis;
using Thaw.Analysis.Reporting;
using Thaw.Models;
using Thaw.Quantization.Bnb;

namespace Thaw.Cli.Commands;

/// <summary>
/// <c>thaw analyze MODEL [--type nf4|fp4] [--blocksize 64] [--double-quant] [--imatrix FILE] [--budget 10%]
/// [--skip MODULE ...] [--report DIR] [--json] [--threads N] [--quiet]</c>.
/// </summary>
internal static class AnalyzeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("MODEL") { Description = "Model folder or hub id with plain float16/bfloat16/float32 weights." };
        var options = new DynamicOptions();
        var report = new Option<string?>("--report") { Description = "Write report.html, the plots (PNG, SVG) and analysis.json into this folder.", HelpName = "DIR" };
        var threads = ResourceOptions.Threads();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("analyze", "Measure each module's 4-bit error with the quantizer thaw quantize would use, and show what --dynamic would keep in 16 bits.")
        {
            model, report, threads, json, quiet,
        };
        options.AddTo(command);
        command.SetAction(result =>
        {
            using var opened = HfModel.Open(result.GetValue(model)!);
            var threadCount = result.ValueOr(threads, Environment.ProcessorCount);
            var run = ProgressDisplay.Run(context, result.GetValue(quiet), "analyze",
                (progress, cancellation) => options.Analyze(result, opened, threadCount, progress, cancellation));
            var skipModules = BnbModuleSelection.Select(opened, run.SkipModules).WrittenSkipModules ?? [];
            if (result.GetValue(report) is { } directory)
                AnalysisReport.Write(directory, run.Analysis, run.Choice, skipModules);
            if (result.GetValue(json))
                context.Out.WriteLine(AnalysisJson.Write(run.Analysis, run.Choice, skipModules));
            else if (!result.GetValue(quiet))
                context.Out.WriteLine(Summary(run.Analysis, run.Choice, result.GetValue(report)));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Summary(ModelAnalysis analysis, DynamicChoice choice, string? report)
    {
        var c = CultureInfo.InvariantCulture;
        var worst = analysis.Modules.OrderByDescending(m => m.SelectionError).ThenBy(m => m.Module, StringComparer.Ordinal).First();
        var lines = new List<string>
        {
            string.Create(c, $"{analysis.Modules.Count} modules measured ({analysis.Settings.QuantType.ToString().ToLowerInvariant()}, blocksize {analysis.Settings.Blocksize}); worst {worst.Module}: error {worst.SelectionError:0.0000}"),
            string.Create(c, $"--dynamic keeps {choice.Kept.Count} modules in 16 bits: +{choice.UsedBytes} bytes of a {choice.BudgetBytes}-byte budget ({choice.BudgetFraction * 100:0.##}% of {analysis.AllFourBitBytes})"),
        };
        lines.AddRange(choice.Kept.Select(k => $"  {k.Module}: {AnalysisJson.ReasonName(k.Reason)} ({k.Detail})"));
        if (report is not null)
            lines.Add($"report: {Path.Combine(report, AnalysisReport.HtmlFileName)}");
        return string.Join(Environment.NewLine, lines);
    }
}
