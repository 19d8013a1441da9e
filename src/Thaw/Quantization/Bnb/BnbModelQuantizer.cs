using System.Runtime.InteropServices;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Producers;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// <c>thaw quantize</c>: a plain model written as the checkpoint transformers + bitsandbytes save for it (what
/// <c>from_pretrained(..., quantization_config=BitsAndBytesConfig(...)).save_pretrained()</c> writes): every Linear weight
/// <see cref="BnbModuleSelection"/> picks becomes its bitsandbytes tensors (<see cref="BnbCheckpointLayout"/>), every
/// other tensor is copied in its own dtype, config.json gains the quantization_config, and tokenizer, generation and
/// processor files are copied.
/// </summary>
public static class BnbModelQuantizer
{
    /// <summary>A plan and what it quantizes.</summary>
    /// <param name="Plan">The output, ready for <see cref="HfFolderOutput.Write"/>.</param>
    /// <param name="Selection">The quantized and skipped modules.</param>
    public sealed record Result(PipelinePlan Plan, BnbModuleSelection Selection);

    /// <summary>
    /// Plans quantizing <paramref name="model"/> into the folder <paramref name="outputPath"/>. With double quantization
    /// this reads every weight to be quantized once (the mean block maximum goes into the quant-state JSON, whose
    /// length the plan needs), so bad values are found before anything is written.
    /// </summary>
    /// <param name="model">The open model; it must stay open until the plan has run.</param>
    /// <param name="outputPath">The output folder.</param>
    /// <param name="settings">Format, blocksize, double quantization, compute dtype, skipped modules.</param>
    /// <param name="options">Shard size, memory, threads, --force.</param>
    /// <exception cref="BnbQuantizeException">The settings are invalid, the model is already quantized or has no
    /// config.json, a skip name matches nothing, or a weight is not a finite float tensor.</exception>
    /// <exception cref="PipelineException">The plan cannot run (see <see cref="PipelinePlan.Create"/>).</exception>
    public static Result Plan(HfModel model, string outputPath, BnbQuantizationSettings settings, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        settings.Validate();
        RejectQuantized(model);
        if (model.Config is not { } config)
        {
            BnbQuantizeException.Throw(BnbQuantizeError.MissingConfig, model.Location.Path, null,
                "there is no config.json, so the quantized model could not be described to transformers; quantize a model folder");
            return null!;
        }

        var selection = BnbModuleSelection.Select(model, settings.SkipModules);
        var quantized = selection.QuantizedWeights.ToHashSet(StringComparer.Ordinal);
        var tensors = new List<OutputTensor>();
        var pending = new List<OutputTensor>();
        string? pendingModule = null;
        foreach (var tensor in StateDictOrder.Sort(model.Tensors, t => t.Name))
        {
            var module = BnbCheckpointLayout.ModulePrefix(tensor.Name);
            if (pendingModule is not null && module != pendingModule)
            {
                tensors.AddRange(pending);
                pending.Clear();
                pendingModule = null;
            }
            if (!quantized.Contains(tensor.Name))
            {
                var plain = (PlainTensor)tensor;
                tensors.Add(new OutputTensor(plain.Name, plain.DType, plain.Shape, new CopyProducer(plain.Stored)));
                continue;
            }
            // The weight comes first; the rest of bitsandbytes' tensors follow the module's bias, as in its state dict.
            var source = Source(model, (PlainTensor)tensor);
            var parts = settings.IsFourBit ? FourBit(source, tensor.DType, settings) : Int8(source);
            tensors.Add(parts[0]);
            pending.AddRange(parts.Skip(1));
            pendingModule = module;
        }
        tensors.AddRange(pending);

        var companions = new List<CompanionFile>
        {
            CompanionFile.FromBytes(HfModel.ConfigFileName, BnbQuantizationConfigJson.Rewrite(config, settings, selection.WrittenSkipModules)),
        };
        if (model.Location.Kind == ModelLocationKind.Folder)
            companions.AddRange(CopiedFiles.In(model.Location.Path));
        var inputs = model.InputPaths.ToList();
        return new Result(PipelinePlan.Create(outputPath, tensors, companions, inputs, options), selection);
    }

    private static void RejectQuantized(HfModel model)
    {
        if (model.Quantization is { } quantization)
        {
            BnbQuantizeException.Throw(BnbQuantizeError.AlreadyQuantized, model.Config!.Source, null,
                $"the model is already quantized (quantization_config, quant_method '{quantization.Method}'); quantize the original model, or run 'thaw dequantize' first");
        }
        if (model.Tensors.FirstOrDefault(t => t.Kind != ModelTensorKind.Plain) is { } packed)
        {
            BnbQuantizeException.Throw(BnbQuantizeError.AlreadyQuantized, packed.StoredParts[0].FilePath, packed.Name,
                $"tensor is already quantized ({packed.Kind}); quantize the original model, or run 'thaw dequantize' first");
        }
    }

    // transformers hands bitsandbytes a Conv1D weight transposed to nn.Linear's [out, in].
    private static ITensorRowSource Source(HfModel model, PlainTensor tensor)
    {
        var source = TensorRowSources.For(tensor);
        return model.Architecture?.IsConv1DWeight(tensor.Name) == true ? new Conv1DWeightSource(source) : source;
    }

    private static List<OutputTensor> FourBit(ITensorRowSource source, DType dtype, BnbQuantizationSettings settings)
    {
        var name = source.Name;
        var type = settings.QuantType;
        var elements = FlatElements.Count(source);
        var blocksize = settings.Blocksize;
        float? offset = settings.DoubleQuant ? TorchCpuSum.Mean(Bnb4BitBlockStatistics.ComputeAbsmax(source, blocksize)) : null;
        var nested = offset is { } o ? new BnbNestedQuantState(BnbDoubleQuantizer.NestedBlocksize, DType.F32, o) : null;
        var json = BnbQuantStateJson.Serialize(new BnbQuantState(type, blocksize, dtype, source.Shape, nested));

        var infos = BnbCheckpointLayout.FourBit(name, elements, blocksize, type, settings.DoubleQuant, json.Length);
        var statistics = new Bnb4BitBlockStatistics(source, blocksize, settings.DoubleQuant, offset, consumers: settings.DoubleQuant ? 2 : 1);
        var quantMap = MemoryMarshal.AsBytes(BnbQuantMaps.For(type)).ToArray();
        var producers = new List<ITensorProducer>
        {
            new Bnb4BitCodesProducer(source, type, blocksize),
            new Bnb4BitStatisticsProducer(statistics, settings.DoubleQuant ? Bnb4BitStatisticsProducer.Kind.AbsmaxCodes : Bnb4BitStatisticsProducer.Kind.Absmax),
            new ConstantBytesProducer(quantMap, $"{(type == BnbQuantType.Nf4 ? "nf4" : "fp4")} code table"),
        };
        if (settings.DoubleQuant)
        {
            producers.Add(new Bnb4BitStatisticsProducer(statistics, Bnb4BitStatisticsProducer.Kind.NestedAbsmax));
            producers.Add(new ConstantBytesProducer(MemoryMarshal.AsBytes(DynamicMap.Table).ToArray(), "8-bit dynamic code table"));
        }
        producers.Add(new ConstantBytesProducer(json, "quant state JSON"));
        return [.. infos.Zip(producers, (info, producer) => new OutputTensor(info.Name, info.DType, info.Shape, producer))];
    }

    private static List<OutputTensor> Int8(ITensorRowSource source)
    {
        var infos = BnbCheckpointLayout.Int8(source.Name, source.RowCount, source.RowLength);
        ITensorProducer[] producers =
        [
            new BnbInt8CodesProducer(source),
            new BnbInt8ScbProducer(source),
            new ConstantBytesProducer([0], "weight_format (row-major)"),
        ];
        return [.. infos.Zip(producers, (info, producer) => new OutputTensor(info.Name, info.DType, info.Shape, producer))];
    }
}
