using System.CommandLine;
using Thaw.Cli.Rendering;
using Thaw.Lora;
using Thaw.Models;

namespace Thaw.Cli.Commands;

/// <summary><c>thaw doctor --base BASE --adapter ADAPTER [--json]</c>: would the adapter apply cleanly to this base?</summary>
internal static class DoctorCommand
{
    public static Command Create(CliContext context)
    {
        var baseModel = new Option<string>("--base") { Description = "Base model folder, hub id (local HF cache only) or .safetensors file.", Required = true, HelpName = "BASE" };
        var adapterFolder = new Option<string>("--adapter") { Description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors or .bin), or with --lora-r/--lora-alpha a training checkpoint.", Required = true, HelpName = "ADAPTER" };
        var json = CommonOptions.Json();
        var rawCheckpoint = new RawCheckpointOptions();
        var command = new Command("doctor", "Check a LoRA adapter against a base model: module matching, shapes, ranks, scaling, ||dW||/||W|| and problems. Exit 0: applies cleanly (warnings allowed); 1: errors found.")
        {
            baseModel, adapterFolder, json,
        };
        rawCheckpoint.AddTo(command);
        command.SetAction(result =>
        {
            var baseName = result.GetValue(baseModel)!;
            using var adapter = LoraAdapter.Load(result.GetValue(adapterFolder)!, rawCheckpoint.Read(result));
            using var model = HfModel.Open(baseName);
            var diagnosis = AdapterDiagnosis.Diagnose(adapter, model, baseName);
            if (result.GetValue(json))
                context.Out.WriteLine(DoctorRenderer.Json(diagnosis, baseName, adapter.Folder));
            else
                DoctorRenderer.Render(Consoles.For(context.Out, context.OutIsTerminal), diagnosis);
            var errors = diagnosis.Findings.Count(f => f.Severity == FindingSeverity.Error);
            if (errors == 0)
                return ExitCodes.Success;
            context.Error.WriteLine($"error: {errors} error-level finding(s) ({string.Join(", ", diagnosis.Findings.Where(f => f.Severity == FindingSeverity.Error).Select(f => f.Code).Distinct())}); the adapter would not apply cleanly to this base");
            return ExitCodes.Failed;
        });
        return command;
    }
}
