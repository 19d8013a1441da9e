using Thaw.Lora;
using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>One adapter to merge, with its weight (<c>--adapter DIR:WEIGHT</c>) and the name plans and the model card use.</summary>
public sealed record MergeAdapter(LoraAdapter Adapter, double Weight, string Label);

/// <summary>What <c>thaw merge</c> was asked to do.</summary>
public sealed record MergeRequest
{
    /// <summary>The base the adapters were trained on (16-bit, or bitsandbytes 4-bit/8-bit).</summary>
    public required HfModel Base { get; init; }

    /// <summary>How the user named the base (path or hub id), for the model card and the base_model_name_or_path check.</summary>
    public required string BaseName { get; init; }

    /// <summary>With <c>--into original</c>: the 16-bit model the quantized base was made from, merged into instead.</summary>
    public HfModel? Original { get; init; }

    /// <summary>How the user named the original.</summary>
    public string? OriginalName { get; init; }

    public required IReadOnlyList<MergeAdapter> Adapters { get; init; }

    /// <summary>The output dtype (--dtype); null for the base's (the quant-state dtype of a 4-bit base).</summary>
    public DType? DType { get; init; }

    public required string OutputPath { get; init; }

    public required PipelineOptions Options { get; init; }
}
