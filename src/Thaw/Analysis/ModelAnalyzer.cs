using System.Collections.Concurrent;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;

namespace Thaw.Analysis;

/// <summary>
/// <c>thaw analyze</c>: measures every module <c>thaw quantize</c> would quantize (<see cref="BnbModuleSelection"/>) with
/// the quantizer it would use (<see cref="WeightErrorMeter"/>), in parallel over modules, largest first.
/// </summary>
public static class ModelAnalyzer
{
    /// <param name="model">A plain (unquantized) model.</param>
    /// <param name="settings">The quantizer.</param>
    /// <param name="imatrix">Importances by GGUF name (checked against the model), or null.</param>
    /// <param name="threads">Modules measured at once (≥ 1).</param>
    /// <param name="progress">Told after each module (modules as tensors, their stored bytes as bytes), one report at a time.</param>
    /// <param name="cancellationToken">Stops between modules.</param>
    /// <exception cref="AnalysisException">The model is quantized already, or the imatrix does not fit it.</exception>
    /// <exception cref="BnbQuantizeException">A weight is not a float tensor, holds NaN/infinity, or there is nothing to quantize.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ModelAnalysis Analyze(HfModel model, AnalysisSettings settings, ImportanceMatrix? imatrix, int threads,
        IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        BnbQuantizationSettings.CheckBlocksize(settings.Blocksize);
        if (model.Quantization is not null || model.Tensors.Any(t => t.Kind != ModelTensorKind.Plain))
            AnalysisException.Throw(AnalysisError.NothingToAnalyze, model.Location.Path, null,
                "the model is quantized already; analyze the original 16-bit model (or run 'thaw dequantize' first)");

        var selection = BnbModuleSelection.Select(model, []);
        var sources = selection.QuantizedWeights.Select(name => Source(model, (PlainTensor)Tensor(model, name))).ToList();
        var importances = imatrix?.ForModules(InFeatures(model), model.Config?.ModelType) ?? new Dictionary<string, float[]>();

        var results = new ConcurrentDictionary<string, ModuleAnalysis>(StringComparer.Ordinal);
        var order = sources.OrderByDescending(s => s.RowCount * s.RowLength).ThenBy(s => s.Name, StringComparer.Ordinal);
        var totalBytes = sources.Sum(s => Tensor(model, s.Name).StoredByteLength);
        var gate = new Lock();
        long bytesDone = 0;
        progress?.Report(new PipelineProgress(0, sources.Count, 0, totalBytes, null));
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        Parallel.ForEach(order, options, source =>
        {
            var module = BnbModuleSelection.ModuleOf(source.Name);
            var importance = importances.TryGetValue(module, out var values) ? values : null;
            var error = WeightErrorMeter.Measure(source, settings, importance);
            var tensor = Tensor(model, source.Name);
            var keep = AlwaysKeepRules.Check(module, source.RowLength, settings.Blocksize);
            results[source.Name] = new ModuleAnalysis(
                ModuleName.Parse(module), source.Name, source.Shape, tensor.DType, error,
                tensor.StoredByteLength, settings.FourBitBytes(error.Elements), keep?.Reason, keep?.Detail);
            lock (gate)
            {
                bytesDone += tensor.StoredByteLength;
                progress?.Report(new PipelineProgress(results.Count, sources.Count, bytesDone, totalBytes, source.Name));
            }
        });

        var candidates = selection.QuantizedWeights.ToHashSet(StringComparer.Ordinal);
        var never = model.Tensors
            .Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.Shape.Length == 2 && !candidates.Contains(t.Name))
            .Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        var modules = results.Values.OrderBy(m => m.Module, StringComparer.Ordinal).ToList();
        return new ModelAnalysis(model.Location.Path, settings, imatrix, modules, never, model.Tensors.Sum(t => t.StoredByteLength));
    }

    private static ModelTensor Tensor(HfModel model, string name) =>
        model.TryGetTensor(name, out var tensor) ? tensor : throw new InvalidOperationException($"'{name}' vanished from the model");

    // As BnbModelQuantizer: bitsandbytes sees a Conv1D weight transposed to nn.Linear's [out, in].
    private static ITensorRowSource Source(HfModel model, PlainTensor tensor)
    {
        var source = TensorRowSources.For(tensor);
        return model.Architecture?.IsConv1DWeight(tensor.Name) == true ? new Conv1DWeightSource(source) : source;
    }

    // in_features of every 2-D weight (lm_head included: an imatrix made with --process-output has it).
    private static Dictionary<string, long> InFeatures(HfModel model)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var tensor in model.Tensors.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.Shape.Length == 2))
            result[BnbModuleSelection.ModuleOf(tensor.Name)] = model.Architecture?.IsConv1DWeight(tensor.Name) == true ? tensor.Shape[0] : tensor.Shape[1];
        if (model.TiedEmbedding is { } tied && !result.ContainsKey(BnbModuleSelection.ModuleOf(tied.LmHead)) && model.TryGetTensor(tied.Embedding, out var embedding))
            result[BnbModuleSelection.ModuleOf(tied.LmHead)] = embedding.Shape[1];
        return result;
    }
}
