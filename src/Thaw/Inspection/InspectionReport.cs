using Thaw.Lora;

namespace Thaw.Inspection;

/// <summary>
/// What <c>thaw inspect</c> reports. Serialized as the stable <c>--json</c> output (snake_case keys, documented in
/// the README); add fields freely, never rename or remove one.
/// </summary>
public sealed record InspectionReport(
    string Path,
    string Kind,
    string Format,
    IReadOnlyList<FileSummary> Files,
    ModelSummary? Model,
    AdapterSummary? Adapter,
    long Parameters,
    long TotalBytes,
    IReadOnlyDictionary<string, long> BytesByDtype,
    IReadOnlyList<TensorSummary> Tensors)
{
    /// <summary>The GGUF header, metadata and tensor infos when the input is a GGUF file; null otherwise.</summary>
    public GgufSummary? Gguf { get; init; }

    /// <summary>Kind of a base model folder or hub snapshot.</summary>
    public const string ModelKind = "model";

    /// <summary>Kind of a PEFT adapter folder.</summary>
    public const string AdapterKind = "adapter";

    /// <summary>Kind of a single checkpoint file without a config.</summary>
    public const string FileKind = "file";
}

/// <summary>One file of the checkpoint: its path relative to the inspected folder, size and tensor count.</summary>
public sealed record FileSummary(string Path, long Bytes, int Tensors);

/// <summary>The config.json facts that matter for dequantizing, merging and exporting.</summary>
public sealed record ModelSummary(
    string? Architecture,
    string? ModelType,
    bool KnownModelType,
    int? HiddenSize,
    int? NumHiddenLayers,
    int? NumAttentionHeads,
    int? NumKeyValueHeads,
    int? IntermediateSize,
    long? VocabSize,
    bool TieWordEmbeddings,
    bool LmHeadTiedToEmbedding,
    string? Dtype,
    QuantizationSummary? Quantization);

/// <summary>config.json's quantization_config.</summary>
public sealed record QuantizationSummary(
    string Method,
    bool Supported,
    int? Bits,
    string? QuantType,
    bool? DoubleQuant,
    string? ComputeDtype,
    string? QuantStorage,
    IReadOnlyList<string>? SkipModules);

/// <summary>
/// One logical tensor. A bitsandbytes weight is one entry whose shape and parameter count are the real
/// (unpacked) ones; its stored tensors (packed codes, absmax, maps, quant-state JSON) are listed in the
/// quantization block and counted in its bytes.
/// </summary>
public sealed record TensorSummary(
    string Name,
    string Dtype,
    IReadOnlyList<long> Shape,
    long Parameters,
    long Bytes,
    string File,
    TensorQuantization? Quantization);

/// <summary>How a bitsandbytes weight is stored.</summary>
public sealed record TensorQuantization(
    string Kind,
    int? Blocksize,
    bool? DoubleQuant,
    string StorageDtype,
    IReadOnlyList<long> StoredShape,
    string? OutputDtype,
    IReadOnlyList<string> Components);

/// <summary>A PEFT adapter's config and what its file holds.</summary>
public sealed record AdapterSummary(
    string PeftType,
    int R,
    double LoraAlpha,
    bool UseRslora,
    double Scaling,
    bool UseDora,
    IReadOnlyList<string>? TargetModules,
    string? TargetModulesRegex,
    IReadOnlyList<string>? ModulesToSave,
    string? BaseModelNameOrPath,
    string InitLoraWeights,
    int TensorCount,
    IReadOnlyList<AdapterModuleSummary> Modules,
    IReadOnlyList<string> OtherTensors,
    IReadOnlyList<RefusedFeature> Refused);

/// <summary>One adapted module: its rank from the tensor shapes, and the alpha and scaling PEFT would use.</summary>
public sealed record AdapterModuleSummary(string Module, string Kind, int Rank, double Alpha, double Scaling);
