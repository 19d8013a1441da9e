using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Thaw.Analysis;
using Thaw.Analysis.Reporting;
using Thaw.Cli.Rendering;
using Thaw.IO;
using Thaw.Models;
using Thaw.Pipeline.HfFolder;
using Thaw.Quantization.Bnb;

namespace Thaw.Cli.Commands;

/// <summary>
/// <c>thaw quantize MODEL --out DIR [--type nf4|fp4|int8] [--blocksize 64] [--double-quant] [--compute-dtype bf16]
/// [--skip MODULE ...] [--dynamic [--budget 10%] [--imatrix FILE] [--report DIR]] [--max-shard-size 5GB] [--max-memory SIZE]
/// [--threads N] [--force] [--json] [--quiet]</c>. With --dynamic the modules to keep in 16 bits are chosen from
/// measured error (<see cref="DynamicSelection"/>) and added to --skip.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("MODEL")
        {
            Description = "Model folder or hub id (org/name[@revision], local HF cache only) with plain float16/bfloat16/float32 weights.",
        };
        var output = new Option<string>("--out", "-o") { Description = "Output folder (created; must not exist unless --force).", Required = true, HelpName = "DIR" };
        var type = new Option<string>("--type")
        {
            Description = "nf4 or fp4 (bitsandbytes Linear4bit) or int8 (LLM.int8).",
            DefaultValueFactory = _ => "nf4",
        };
        type.AcceptOnlyFromAmong("nf4", "fp4", "int8");
        var blocksize = new Option<int?>("--blocksize") { Description = "Elements per 4-bit absmax block: 32, 64 (default), 128, ..., 4096.", HelpName = "N" };
        blocksize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && !BnbQuantState.ValidBlocksizes.Contains(value))
                result.AddError($"--blocksize {value} is not one bitsandbytes supports; use one of {string.Join(", ", BnbQuantState.ValidBlocksizes)}");
        });
        var doubleQuant = new Option<bool>("--double-quant") { Description = "Quantize the block maxima too (bnb_4bit_use_double_quant)." };
        var computeDType = new Option<string?>("--compute-dtype")
        {
            Description = "bnb_4bit_compute_dtype recorded in config.json: bf16, f16 or f32 (default f32, as in transformers).",
            HelpName = "DTYPE",
        };
        computeDType.AcceptOnlyFromAmong("bf16", "f16", "f32");
        var skip = new Option<string[]>("--skip")
        {
            Description = "Keep a module unquantized (repeatable): 'lm_head', 'mlp.down_proj' (every layer), 'model.layers.0' (a whole layer).",
            HelpName = "MODULE",
        };
        var dynamic = new Option<bool>("--dynamic") { Description = "Keep the modules whose 4-bit error stands out in 16 bits, within --budget (Unsloth-style dynamic 4-bit)." };
        var report = new Option<string?>("--report") { Description = "With --dynamic: write the analysis report (report.html, plots, analysis.json) into this folder.", HelpName = "DIR" };
        var dynamicOptions = new DynamicOptions();
        var folderOutput = new FolderOutputOptions();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("quantize", "Quantize a model to a bitsandbytes NF4/FP4/LLM.int8 checkpoint that transformers loads as it saved it.")
        {
            model, output, type, blocksize, doubleQuant, computeDType, skip, dynamic, report, json, quiet,
        };
        dynamicOptions.AddTo(command, quantizerOptions: false);
        folderOutput.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(dynamic))
                return;
            foreach (var option in new Option[] { dynamicOptions.Budget, dynamicOptions.Imatrix, report })
            {
                if (result.GetResult(option) is { Implicit: false })
                    result.AddError($"{option.Name} applies to --dynamic only; add --dynamic");
            }
        });
        command.Validators.Add(result =>
        {
            // Read the token: the value of a bad --type cannot be converted (its own error is reported).
            if (result.GetResult(type)?.Tokens is not [{ Value: "int8" }])
                return;
            if (result.GetValue(blocksize) is not null)
                result.AddError("--blocksize applies to 4-bit types only; LLM.int8 scales each row by its own maximum");
            if (result.GetValue(doubleQuant))
                result.AddError("--double-quant applies to 4-bit types only; use --type nf4 or fp4");
            if (result.GetValue(dynamic))
                result.AddError("--dynamic measures 4-bit error; use --type nf4 or fp4");
        });
        command.SetAction(result =>
        {
            var format = BnbQuantizationSettings.ParseFormat(result.GetValue(type)!);
            var settings = new BnbQuantizationSettings
            {
                Format = format,
                Blocksize = result.GetValue(blocksize) ?? BnbQuantizationSettings.DefaultBlocksize,
                DoubleQuant = result.GetValue(doubleQuant),
                ComputeDType = result.GetValue(computeDType) is { } name ? BnbQuantizationSettings.ParseComputeDType(name) : Tensors.DType.F32,
                SkipModules = result.GetValue(skip) ?? [],
            };
            var options = folderOutput.Read(result);
            using var opened = HfModel.Open(result.GetValue(model)!);
            DynamicOptions.Run? dynamicRun = null;
            if (result.GetValue(dynamic))
            {
                var measured = new AnalysisSettings(settings.QuantType, settings.Blocksize, settings.DoubleQuant);
                var skips = settings.SkipModules;
                dynamicRun = ProgressDisplay.Run(context, result.GetValue(quiet), "analyze",
                    (progress, cancellation) => dynamicOptions.Analyze(result, opened, measured, skips, options.Threads, progress: progress, cancellationToken: cancellation));
                settings = settings with { SkipModules = dynamicRun.SkipModules };
            }
            var planned = BnbModelQuantizer.Plan(opened, result.GetValue(output)!, settings, options);
            var quietRun = result.GetValue(quiet);
            var summary = ProgressDisplay.Run(context, quietRun, "quantize",
                (progress, cancellation) => HfFolderOutput.Write(planned.Plan, progress, cancellation));
            if (dynamicRun is not null && result.GetValue(report) is { } directory)
                AnalysisReport.Write(directory, dynamicRun.Analysis, dynamicRun.Choice, planned.Selection.WrittenSkipModules ?? []);
            var typeName = format.ToString().ToLowerInvariant();
            if (result.GetValue(json))
                context.Out.WriteLine(SummaryJson(summary, typeName, settings, planned.Selection, dynamicRun?.Choice));
            else if (!quietRun)
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {summary.Path}: {planned.Selection.QuantizedWeights.Count} weights quantized to {typeName}, {summary.TensorCount} tensors, {ByteSize.Format(summary.OutputBytes)} in {summary.Files.Count} files, {summary.Elapsed.TotalSeconds:0.0} s"));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string SummaryJson(OutputSummary summary, string typeName, BnbQuantizationSettings settings, BnbModuleSelection selection, DynamicChoice? choice)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("output", summary.Path);
            writer.WriteString("type", typeName);
            if (settings.IsFourBit)
            {
                writer.WriteNumber("blocksize", settings.Blocksize);
                writer.WriteBoolean("double_quant", settings.DoubleQuant);
            }
            writer.WriteString("compute_dtype", Tensors.DTypes.TorchName(settings.ComputeDType));
            WriteStrings(writer, "quantized", selection.QuantizedWeights);
            WriteStrings(writer, "skipped", selection.SkippedModules);
            if (choice is not null)
            {
                writer.WriteStartObject("dynamic");
                writer.WriteNumber("budget_fraction", choice.BudgetFraction);
                writer.WriteNumber("budget_bytes", choice.BudgetBytes);
                writer.WriteNumber("used_bytes", choice.UsedBytes);
                writer.WriteStartArray("kept");
                foreach (var kept in choice.Kept)
                {
                    writer.WriteStartObject();
                    writer.WriteString("module", kept.Module);
                    writer.WriteString("reason", AnalysisJson.ReasonName(kept.Reason));
                    writer.WriteString("detail", kept.Detail);
                    writer.WriteNumber("cost", kept.Cost);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            WriteStrings(writer, "llm_int8_skip_modules", selection.WrittenSkipModules ?? []);
            WriteStrings(writer, "files", summary.Files);
            writer.WriteNumber("tensors", summary.TensorCount);
            writer.WriteNumber("tensor_bytes", summary.TensorBytes);
            writer.WriteNumber("bytes", summary.OutputBytes);
            writer.WriteNumber("seconds", Math.Round(summary.Elapsed.TotalSeconds, 3));
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
