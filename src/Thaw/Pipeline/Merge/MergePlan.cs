using Thaw.Lora;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>A planned merge: the pipeline that writes the folder, and what the merge changes, for summaries and the model card.</summary>
public sealed record MergePlan(
    PipelinePlan Pipeline,
    DType DType,
    string Target,
    IReadOnlyList<AdapterDiagnosis> Diagnoses,
    int MergedTensorCount,
    IReadOnlyList<string> Notes);
