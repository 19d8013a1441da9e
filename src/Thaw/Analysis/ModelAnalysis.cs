namespace Thaw.Analysis;

/// <summary>Every quantizable module of a model measured with one quantizer.</summary>
/// <param name="ModelPath">The model.</param>
/// <param name="Settings">The quantizer.</param>
/// <param name="Imatrix">The importance matrix used, or null.</param>
/// <param name="Modules">The measured modules, in name order.</param>
/// <param name="NeverQuantized">Weights transformers never quantizes (embeddings, lm_head), in name order.</param>
/// <param name="ModelBytes">Bytes of all tensors as the model stores them.</param>
public sealed record ModelAnalysis(
    string ModelPath, AnalysisSettings Settings, ImportanceMatrix? Imatrix, IReadOnlyList<ModuleAnalysis> Modules, IReadOnlyList<string> NeverQuantized,
    long ModelBytes)
{
    /// <summary>Bytes of the model with every quantizable module in 4 bits.</summary>
    public long AllFourBitBytes => ModelBytes - Modules.Sum(m => m.KeepCost);
}
