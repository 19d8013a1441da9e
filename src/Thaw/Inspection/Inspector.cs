using Thaw.Formats;
using Thaw.Formats.Gguf;
using Thaw.Formats.Torch;
using Thaw.Lora;
using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Inspection;

/// <summary>Builds the <c>thaw inspect</c> report for a model, a single tensor file, a GGUF file or an adapter folder.</summary>
public static class Inspector
{
    private static readonly string[] AdapterWeightFiles = ["adapter_model.safetensors", "adapter_model.bin"];

    /// <summary>Inspects a path or a hub id resolved in the local Hugging Face cache of this process's environment.</summary>
    public static InspectionReport Inspect(string pathOrHubId) => Inspect(pathOrHubId, ModelLocator.FromProcess());

    /// <summary>Inspects a path or a hub id resolved with <paramref name="locator"/>.</summary>
    public static InspectionReport Inspect(string pathOrHubId, ModelLocator locator)
    {
        ArgumentNullException.ThrowIfNull(locator);
        var location = locator.Locate(pathOrHubId);
        if (location.Kind == ModelLocationKind.Folder && File.Exists(Path.Combine(location.Path, AdapterConfig.FileName)))
            return InspectAdapter(pathOrHubId, location.Path);
        if (location.Kind == ModelLocationKind.File && GgufFile.HasMagic(location.Path))
            return GgufInspection.Inspect(pathOrHubId, location.Path);
        using var model = HfModel.Open(location);
        return InspectModel(pathOrHubId, model);
    }

    private static InspectionReport InspectModel(string input, HfModel model)
    {
        var root = model.Location.Kind == ModelLocationKind.Folder ? model.Location.Path : Path.GetDirectoryName(model.Location.Path)!;
        var tensors = model.Tensors.Select(t => Summarize(t, root)).ToList();
        var stored = model.StoredTensors.Select(s => s.Info).ToList();
        return new InspectionReport(
            Path: input,
            Kind: model.Config is null ? InspectionReport.FileKind : InspectionReport.ModelKind,
            Format: FormatOf(model.Files),
            Files: model.Files.Select(f => Summarize(f, root)).ToList(),
            Model: model.Config is { } config ? Summarize(config, model.TiedEmbedding is not null) : null,
            Adapter: null,
            Parameters: model.ParameterCount,
            TotalBytes: stored.Sum(t => t.ByteLength),
            BytesByDtype: BytesByDtype(stored),
            Tensors: tensors);
    }

    private static InspectionReport InspectAdapter(string input, string folder)
    {
        var config = AdapterConfig.Load(folder);
        var weights = AdapterWeightFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists)
            ?? throw new LoraException(LoraError.NotAnAdapter, folder, null,
                $"adapter folder has adapter_config.json but no weights ({string.Join(" or ", AdapterWeightFiles)})");
        using var file = TensorFiles.Open(weights);
        var (modules, others) = AdapterModules.Group(file.Tensors);
        var moduleSummaries = modules.Select(m =>
        {
            var alpha = config.AlphaFor(m.ModulePath);
            return new AdapterModuleSummary(m.ModulePath, m.Kind, m.Rank, alpha, m.Rank > 0 ? config.Scaling(m.Rank, alpha) : 0);
        }).ToList();
        var adapter = new AdapterSummary(
            PeftType: config.PeftType,
            R: config.R,
            LoraAlpha: config.LoraAlpha,
            UseRslora: config.UseRsLora,
            Scaling: config.Scaling(config.R, config.LoraAlpha),
            UseDora: config.UseDora,
            TargetModules: config.TargetModules,
            TargetModulesRegex: config.TargetModulesRegex,
            ModulesToSave: config.ModulesToSave,
            BaseModelNameOrPath: config.BaseModelNameOrPath,
            InitLoraWeights: config.InitLoraWeights,
            TensorCount: file.Tensors.Count,
            Modules: moduleSummaries,
            OtherTensors: others.Select(t => t.Name).ToList(),
            Refused: config.RefusedFeatures);
        var fileName = Path.GetFileName(weights);
        return new InspectionReport(
            Path: input,
            Kind: InspectionReport.AdapterKind,
            Format: FormatOf([file]),
            Files: [Summarize(file, folder)],
            Model: null,
            Adapter: adapter,
            Parameters: file.Tensors.Sum(t => t.ElementCount),
            TotalBytes: file.Tensors.Sum(t => t.ByteLength),
            BytesByDtype: BytesByDtype(file.Tensors),
            Tensors: file.Tensors.Select(t => new TensorSummary(t.Name, DTypes.SafetensorsName(t.DType), t.Shape, t.ElementCount, t.ByteLength, fileName, null)).ToList());
    }

    private static TensorSummary Summarize(ModelTensor tensor, string root)
    {
        var main = tensor.StoredParts[0];
        var quantization = tensor switch
        {
            Bnb4BitTensor q => new TensorQuantization(
                q.QuantType == BnbQuantType.Nf4 ? "nf4" : "fp4", q.Blocksize, q.IsDoubleQuant,
                DTypes.SafetensorsName(q.StorageDType), q.Weight.Info.Shape, DTypes.SafetensorsName(q.DType),
                q.StoredParts.Select(p => p.Name).ToList()),
            BnbInt8Tensor q => new TensorQuantization(
                "int8", null, null, DTypes.SafetensorsName(q.Weight.Info.DType), q.Weight.Info.Shape,
                DTypes.SafetensorsName(q.DType), q.StoredParts.Select(p => p.Name).ToList()),
            _ => null,
        };
        return new TensorSummary(tensor.Name, DTypes.SafetensorsName(tensor.DType), tensor.Shape, tensor.ElementCount,
            tensor.StoredByteLength, Path.GetRelativePath(root, main.FilePath), quantization);
    }

    private static ModelSummary Summarize(ModelConfig config, bool lmHeadTied)
    {
        // VLMs keep the language model's sizes in text_config.
        var text = config.HiddenSize is null && config.TextConfig is { } nested ? nested : config;
        var quantization = config.Quantization is { } q
            ? new QuantizationSummary(
                q.Method, q.IsSupported,
                q.Bitsandbytes is { } b ? b.LoadIn4Bit ? 4 : b.LoadIn8Bit ? 8 : null : null,
                q.Bitsandbytes is { LoadIn4Bit: true } b4 ? (b4.QuantType == BnbQuantType.Nf4 ? "nf4" : "fp4") : null,
                q.Bitsandbytes?.UseDoubleQuant,
                q.Bitsandbytes is { } bc ? DTypes.TorchName(bc.ComputeDType) : null,
                q.Bitsandbytes is { } bs ? DTypes.TorchName(bs.QuantStorage) : null,
                q.Bitsandbytes?.SkipModules)
            : null;
        return new ModelSummary(
            Architecture: config.Architectures.FirstOrDefault(),
            ModelType: config.ModelType,
            KnownModelType: config.IsKnownModelType,
            HiddenSize: text.HiddenSize,
            NumHiddenLayers: text.NumHiddenLayers,
            NumAttentionHeads: text.NumAttentionHeads,
            NumKeyValueHeads: text.NumKeyValueHeads,
            IntermediateSize: text.IntermediateSize,
            VocabSize: text.VocabSize,
            TieWordEmbeddings: config.TieWordEmbeddings,
            LmHeadTiedToEmbedding: lmHeadTied,
            Dtype: config.TorchDTypeName ?? text.TorchDTypeName,
            Quantization: quantization);
    }

    private static FileSummary Summarize(ITensorFile file, string root) =>
        new(Path.GetRelativePath(root, file.Path), new FileInfo(file.Path).Length, file.Tensors.Count);

    private static string FormatOf(IEnumerable<ITensorFile> files) =>
        string.Join("+", files.Select(f => f is TorchCheckpointFile ? "pytorch" : "safetensors").Distinct());

    private static Dictionary<string, long> BytesByDtype(IEnumerable<TensorInfo> tensors) =>
        tensors.GroupBy(t => t.DType)
            .Select(g => (Name: DTypes.SafetensorsName(g.Key), Bytes: g.Sum(t => t.ByteLength)))
            .OrderByDescending(p => p.Bytes).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(p => p.Name, p => p.Bytes);
}
