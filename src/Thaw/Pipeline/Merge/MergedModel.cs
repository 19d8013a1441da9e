using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Thaw.Lora;
using Thaw.Lora.Merge;
using Thaw.Models;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>
/// One tensor of a merged model: the base tensor (or none, for a tensor an adapter adds), the adapter's replacement
/// if any, and the merge steps; <see cref="Values"/> gives its float32 rows for any output format.
/// </summary>
public sealed record MergedTensor(string Name, ImmutableArray<long> Shape, ModelTensor? Base, PlainTensor? Replacement, IReadOnlyList<MergeStep> Steps)
{
    /// <summary>True when the merge changes the tensor (replaced, or with steps).</summary>
    public bool IsChanged => Replacement is not null || Steps.Count > 0;

    /// <summary>What the values start from, for plans: "adapter tensor F32", "BF16", "dequantize nf4 (block 64, double quant)".</summary>
    public string SourceDescription => Replacement is not null
        ? $"adapter tensor {DTypes.SafetensorsName(Replacement.DType)}"
        : Base is PlainTensor plain ? DTypes.SafetensorsName(plain.DType) : Dequantizer.SourceDescription(Base!);

    /// <summary>The float32 rows: the source's, through the steps when there are any.</summary>
    /// <exception cref="ThawException">The source cannot be read as values.</exception>
    public ITensorRowSource Values()
    {
        var source = TensorRowSources.For((ModelTensor?)Replacement ?? Base!);
        return Steps.Count > 0 ? new MergedRowSource(source, Steps) : source;
    }

    /// <summary>A tensor of a model written without adapters.</summary>
    public static MergedTensor Unchanged(ModelTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new(tensor.Name, tensor.Shape, tensor, null, []);
    }
}

/// <summary>
/// A model with its adapters merged, not yet written: every tensor with its source and steps, the adapters'
/// diagnoses, notes for the summary and model card, config fields the merge changes, the inputs the output may
/// not overlap, and the folders whose tokenizer files the output carries (later ones win).
/// </summary>
public sealed record MergedModel(
    HfModel Target,
    string TargetDescription,
    IReadOnlyList<MergedTensor> Tensors,
    IReadOnlyList<AdapterDiagnosis> Diagnoses,
    IReadOnlyList<string> Notes,
    IReadOnlyList<KeyValuePair<string, JsonNode>> ConfigFields,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> TokenizerFolders)
{
    /// <summary>A model as it is, for exports without adapters.</summary>
    public static MergedModel Unchanged(HfModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inputs = model.InputPaths.ToList();
        var folders = model.Location.Kind == ModelLocationKind.Folder ? new[] { model.Location.Path } : [];
        return new(model, "the model's weights", [.. model.Tensors.Select(MergedTensor.Unchanged)], [], [], [], inputs, folders);
    }
}
