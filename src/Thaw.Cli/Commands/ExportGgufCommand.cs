using System.CommandLine;
using Thaw.Lora;
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
        var model = new Argument<string>("MODEL") { Description = "Model folder or hub id (local HF cache only): 16-bit, or bitsandbytes 4-bit/8-bit (dequantized on the way); or a PEFT adapter folder with --base, written as a llama.cpp LoRA adapter." };
        var baseModel = new Option<string?>("--base") { Description = "For an adapter: the base model it was trained on (architecture, names, head counts).", HelpName = "BASE" };
        var output = new Option<string>("--out", "-o") { Description = "Output .gguf file (must not exist unless --force).", Required = true, HelpName = "FILE.gguf" };
        var plan = new Option<bool>("--plan") { Description = "Print the plan (key/values, tensors with types, size, memory bound, free disk) and exit without writing." };
        var gguf = new GgufOptions();
        var folderOutput = new FolderOutputOptions();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("export-gguf", "Write a model as one llama.cpp GGUF file (f32/f16/bf16/q8_0/q4_0/q4_k_m/q6_k) in one streaming pass, tokenizer included.")
        {
            model, baseModel, output, plan, json, quiet,
        };
        gguf.AddTo(command);
        folderOutput.AddTo(command);
        command.SetAction(result =>
        {
            var path = result.GetValue(model)!;
            if (File.Exists(Path.Combine(path, AdapterConfig.FileName)))
            {
                var baseName = result.GetValue(baseModel) ?? throw new LoraException(LoraError.BadMergeRequest, path, null,
                    "is a PEFT adapter: pass --base with the model it was trained on to write it as a GGUF adapter (or merge it: thaw merge --out model.gguf)");
                using var adapter = LoraAdapter.Load(path);
                using var baseOpened = HfModel.Open(baseName);
                var loraRequest = gguf.Read(result, result.GetValue(output)!, folderOutput.Read(result), Tensors.DType.F32, askedDType: Tensors.DType.F32);
                var loraPlan = GgufLoraExporter.Plan(adapter, baseOpened, baseName, loraRequest);
                return GgufRun.Execute(context, result, loraPlan, loraRequest, plan, json, quiet, "export-gguf", "the LoRA adapter");
            }
            if (result.GetValue(baseModel) is not null)
                throw new LoraException(LoraError.BadMergeRequest, path, null, "--base is for exporting an adapter, but this is not an adapter folder (no adapter_config.json)");
            using var opened = HfModel.Open(path);
            var request = gguf.Read(result, result.GetValue(output)!, folderOutput.Read(result), Dequantizer.OutputDType(opened, null));
            var planned = GgufExporter.Plan(MergedModel.Unchanged(opened), request);
            return GgufRun.Execute(context, result, planned, request, plan, json, quiet, "export-gguf", "the model's weights");
        });
        return command;
    }
}
