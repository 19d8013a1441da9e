using System.CommandLine;
using Thaw.Cli.Rendering;
using Thaw.IO;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Cli.Commands;

/// <summary><c>thaw dequantize BASE --out DIR [--dtype bf16|f16|f32] [--max-shard-size 5GB] [--max-memory SIZE] [--threads N] [--force]</c>.</summary>
internal static class DequantizeCommand
{
    private static readonly Dictionary<string, DType> DTypeNames = new(StringComparer.Ordinal)
    {
        ["bf16"] = DType.BF16,
        ["f16"] = DType.F16,
        ["f32"] = DType.F32,
    };

    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("BASE")
        {
            Description = "Quantized model folder, hub id (org/name[@revision], local HF cache only) or .safetensors file.",
        };
        var output = new Option<string>("--out", "-o") { Description = "Output folder (created; must not exist unless --force).", Required = true, HelpName = "DIR" };
        var dtype = new Option<string?>("--dtype")
        {
            Description = "Output dtype. Default: the dtype the model's tensors share (quant-state dtype for 4-bit weights), else config.json's, else bf16; only quantized weights change. With --dtype every floating-point tensor is written in it.",
        };
        dtype.AcceptOnlyFromAmong([.. DTypeNames.Keys]);
        var folderOutput = new FolderOutputOptions();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("dequantize", "Decode a bitsandbytes 4-bit/8-bit model to a plain bf16/f16/f32 safetensors model folder.")
        {
            model, output, dtype, json, quiet,
        };
        folderOutput.AddTo(command);
        command.SetAction(result =>
        {
            var options = folderOutput.Read(result);
            var requested = result.GetValue(dtype) is { } name ? DTypeNames[name] : (DType?)null;
            using var opened = HfModel.Open(result.GetValue(model)!);
            var outputDType = Dequantizer.OutputDType(opened, requested);
            var plan = Dequantizer.Plan(opened, result.GetValue(output)!, requested, options);
            var quietRun = result.GetValue(quiet);
            var summary = ProgressDisplay.Run(context, quietRun, "dequantize",
                (progress, cancellation) => HfFolderOutput.Write(plan, progress, cancellation));
            if (result.GetValue(json))
                context.Out.WriteLine(RunSummaryJson.Serialize(summary, outputDType));
            else if (!quietRun)
                context.Out.WriteLine($"wrote {summary.Path}: {summary.TensorCount} tensors ({DTypes.TorchName(outputDType)}), {ByteSize.Format(summary.OutputBytes)} in {summary.Files.Count} files, {summary.Elapsed.TotalSeconds:0.0} s");
            return ExitCodes.Success;
        });
        return command;
    }
}
