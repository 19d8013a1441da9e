using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Thaw.Cli.Rendering;
using Thaw.IO;
using Thaw.Lora;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.Gguf;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Merge;
using Thaw.Tensors;

namespace Thaw.Cli.Commands;

/// <summary>
/// <c>thaw merge --base BASE --adapter ADAPTER[:WEIGHT] [--adapter ...] --out DIR|FILE.gguf [--dtype bf16|f16|f32] [--gguf-type TYPE]
/// [--into dequantized|original --original ORIGINAL] [--plan] [--max-shard-size 5GB] [--max-memory SIZE] [--threads N] [--force]
/// [--lora-r R --lora-alpha A [--rslora]]</c>.
/// </summary>
internal static class MergeCommand
{
    private static readonly Dictionary<string, DType> DTypeNames = new(StringComparer.Ordinal)
    {
        ["bf16"] = DType.BF16,
        ["f16"] = DType.F16,
        ["f32"] = DType.F32,
    };

    public static Command Create(CliContext context)
    {
        var baseModel = new Option<string>("--base") { Description = "Base model folder, hub id (local HF cache only) or .safetensors file: 16-bit, or bitsandbytes 4-bit/8-bit.", Required = true, HelpName = "BASE" };
        var adapters = new Option<string[]>("--adapter")
        {
            Description = "PEFT adapter folder (or, with --lora-r/--lora-alpha, a training checkpoint file or folder), optionally with a weight (DIR:0.7). Repeat to merge several: their deltas are added, each with its own scaling times its weight.",
            Required = true,
            HelpName = "ADAPTER[:WEIGHT]",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out", "-o") { Description = "Output folder (created; must not exist unless --force), or FILE.gguf for one llama.cpp file written in the same pass.", Required = true, HelpName = "DIR|FILE.gguf" };
        var dtype = new Option<string?>("--dtype") { Description = "Output dtype. Default: the base's (for a 4-bit base the dtype in its quant state)." };
        dtype.AcceptOnlyFromAmong([.. DTypeNames.Keys]);
        var into = new Option<string>("--into")
        {
            Description = "For a quantized base: merge into its dequantized weights (default: what training saw) or into --original, the 16-bit model it was quantized from.",
            DefaultValueFactory = _ => "dequantized",
        };
        into.AcceptOnlyFromAmong("dequantized", "original");
        var original = new Option<string?>("--original") { Description = "With --into original: the unquantized model the base was quantized from.", HelpName = "ORIGINAL_BASE" };
        var plan = new Option<bool>("--plan") { Description = "Print the plan (tensors, steps, files, memory bound, free disk) and exit without writing." };
        var folderOutput = new FolderOutputOptions();
        var gguf = new GgufOptions();
        var rawCheckpoint = new RawCheckpointOptions();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("merge", "Merge LoRA adapters into their base and write a standalone safetensors model folder, rounding each weight once.")
        {
            baseModel, adapters, output, dtype, into, original, plan, json, quiet,
        };
        folderOutput.AddTo(command);
        gguf.AddTo(command);
        rawCheckpoint.AddTo(command);
        command.Validators.Add(result =>
        {
            var intoOriginal = result.GetValue(into) == "original";
            if (intoOriginal && result.GetValue(original) is null)
                result.AddError("--into original needs --original ORIGINAL_BASE, the 16-bit model the base was quantized from");
            if (!intoOriginal && result.GetValue(original) is not null)
                result.AddError("--original is only used with --into original");
            if (gguf.AnyGiven(result) && result.GetValue(output) is { } target && !GgufOptions.IsGgufPath(target))
                result.AddError("--gguf-type and --name are for a .gguf output; --out names a folder");
            foreach (var spec in result.GetValue(adapters) ?? [])
            {
                if (ParseAdapter(spec).Error is { } error)
                    result.AddError(error);
            }
        });
        command.SetAction(result =>
        {
            var baseName = result.GetValue(baseModel)!;
            var opened = new List<IDisposable>();
            try
            {
                var model = Open(opened, HfModel.Open(baseName));
                var originalName = result.GetValue(original);
                var originalModel = originalName is null ? null : Open(opened, HfModel.Open(originalName));
                var merges = new List<MergeAdapter>();
                foreach (var spec in result.GetValue(adapters)!)
                {
                    var (folder, weight, _) = ParseAdapter(spec);
                    merges.Add(new MergeAdapter(Open(opened, LoraAdapter.Load(folder!, rawCheckpoint.Read(result))), weight, folder!));
                }
                var request = new MergeRequest
                {
                    Base = model,
                    BaseName = baseName,
                    Original = originalModel,
                    OriginalName = originalName,
                    Adapters = merges,
                    DType = result.GetValue(dtype) is { } name ? DTypeNames[name] : null,
                    OutputPath = result.GetValue(output)!,
                    Options = folderOutput.Read(result),
                };
                if (GgufOptions.IsGgufPath(request.OutputPath))
                {
                    var merged = Merger.Merge(request);
                    if (!result.GetValue(quiet))
                        WriteWarnings(context, merged.Diagnoses);
                    var ggufRequest = gguf.Read(result, request.OutputPath, request.Options, Dequantizer.OutputDType(merged.Target, null), request.DType);
                    var ggufPlan = GgufExporter.Plan(merged, ggufRequest);
                    return GgufRun.Execute(context, result, ggufPlan, ggufRequest, plan, json, quiet, "merge", $"{merged.Tensors.Count(t => t.IsChanged)} tensors merged into {merged.TargetDescription}");
                }
                var merge = Merger.Plan(request);
                var quietRun = result.GetValue(quiet);
                if (!quietRun)
                    WriteWarnings(context, merge.Diagnoses);
                if (result.GetValue(plan))
                {
                    if (result.GetValue(json))
                        context.Out.WriteLine(PlanJson.Serialize(merge.Pipeline, merge.Notes));
                    else
                    {
                        context.Out.Write(merge.Pipeline.Describe());
                        Notes.Write(context.Out, merge.Notes);
                    }
                    return ExitCodes.Success;
                }
                var summary = ProgressDisplay.Run(context, quietRun, "merge",
                    (progress, cancellation) => HfFolderOutput.Write(merge.Pipeline, progress, cancellation));
                if (result.GetValue(json))
                {
                    context.Out.WriteLine(RunSummaryJson.Serialize(summary, merge.DType, writer => WriteJson(writer, merge, merges)));
                }
                else if (!quietRun)
                {
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"wrote {summary.Path}: {merge.MergedTensorCount} tensors merged into {merge.Target}, {summary.TensorCount} tensors ({DTypes.TorchName(merge.DType)}), {ByteSize.Format(summary.OutputBytes)} in {summary.Files.Count} files, {summary.Elapsed.TotalSeconds:0.0} s"));
                    Notes.Write(context.Out, merge.Notes);
                }
                return ExitCodes.Success;
            }
            finally
            {
                foreach (var item in opened)
                    item.Dispose();
            }
        });
        return command;
    }

    private static T Open<T>(List<IDisposable> opened, T item)
        where T : IDisposable
    {
        opened.Add(item);
        return item;
    }

    // DIR or DIR:WEIGHT; a colon whose tail is not a number belongs to the path.
    internal static (string? Folder, double Weight, string? Error) ParseAdapter(string spec)
    {
        var colon = spec.LastIndexOf(':');
        if (colon > 0 && double.TryParse(spec.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            return double.IsFinite(weight)
                ? (spec[..colon], weight, null)
                : (null, 0, $"--adapter {spec}: the weight must be a finite number");
        }
        return spec.Length == 0 ? (null, 0, "--adapter needs a folder") : (spec, 1, null);
    }

    private static void WriteWarnings(CliContext context, IReadOnlyList<AdapterDiagnosis> diagnoses)
    {
        // The merge itself answers the quantized-base warnings: it merges into dequantized (or original) weights.
        var answered = new[] { FindingCodes.QuantizedBase, FindingCodes.TrainedOnQuantizedBase };
        foreach (var finding in diagnoses.SelectMany(d => d.Findings).Where(f => f.Severity == FindingSeverity.Warning && !answered.Contains(f.Code)))
            context.Error.WriteLine($"warning: {(finding.Module is null ? "" : finding.Module + ": ")}{finding.Message}");
    }

    private static void WriteJson(Utf8JsonWriter json, MergePlan merge, IReadOnlyList<MergeAdapter> adapters)
    {
        json.WriteString("merged_into", merge.Target);
        json.WriteNumber("merged_tensors", merge.MergedTensorCount);
        json.WriteStartArray("adapters");
        foreach (var adapter in adapters)
        {
            json.WriteStartObject();
            json.WriteString("path", adapter.Label);
            json.WriteNumber("weight", adapter.Weight);
            json.WriteNumber("modules", adapter.Adapter.Modules.Count);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        Notes.Write(json, merge.Notes);
    }
}
