using Thaw.Lora;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Merge;
using Thaw.Tensors;

namespace Thaw.Tests.Merge;

/// <summary>Runs the library's merge the way the CLI does.</summary>
internal static class MergeRuns
{
    public static OutputSummary Merge(string baseModel, string output, IReadOnlyList<(string Folder, double Weight)> adapters,
        DType? dtype = null, string? original = null, PipelineOptions? options = null) =>
        Run(baseModel, output, adapters, dtype, original, options, plan => HfFolderOutput.Write(plan.Pipeline));

    public static OutputSummary Merge(string baseModel, string adapter, string output, DType? dtype = null, PipelineOptions? options = null) =>
        Merge(baseModel, output, [(adapter, 1.0)], dtype, null, options);

    /// <summary>Plans a merge and hands the plan to <paramref name="use"/> while the inputs are open.</summary>
    public static T Run<T>(string baseModel, string output, IReadOnlyList<(string Folder, double Weight)> adapters,
        DType? dtype, string? original, PipelineOptions? options, Func<MergePlan, T> use)
    {
        using var model = HfModel.Open(baseModel);
        using var originalModel = original is null ? null : HfModel.Open(original);
        var loaded = adapters.Select(a => new MergeAdapter(LoraAdapter.Load(a.Folder), a.Weight, a.Folder)).ToList();
        try
        {
            var plan = Merger.Plan(new MergeRequest
            {
                Base = model,
                BaseName = baseModel,
                Original = originalModel,
                OriginalName = original,
                Adapters = loaded,
                DType = dtype,
                OutputPath = output,
                Options = options ?? new PipelineOptions(),
            });
            return use(plan);
        }
        finally
        {
            foreach (var adapter in loaded)
                adapter.Adapter.Dispose();
        }
    }
}
