namespace Thaw.Analysis;

/// <summary>What <c>--dynamic</c> keeps in 16 bits within a budget.</summary>
/// <param name="BudgetFraction">The budget as a fraction of the all-4-bit model.</param>
/// <param name="BudgetBytes">The budget in bytes.</param>
/// <param name="Kept">The modules kept, forced ones first, then spikes in the order the greedy pass took them.</param>
/// <param name="SpikeScores">Every module's robust z-score.</param>
/// <param name="SpikesLeftOut">Spikes the budget could not hold, with their cost.</param>
public sealed record DynamicChoice(
    double BudgetFraction, long BudgetBytes, IReadOnlyList<KeptModule> Kept, IReadOnlyDictionary<string, double> SpikeScores,
    IReadOnlyList<KeptModule> SpikesLeftOut)
{
    /// <summary>Extra bytes the kept modules take over all-4-bit.</summary>
    public long UsedBytes => Kept.Sum(k => k.Cost);

    /// <summary>The kept modules' names, in name order (what --skip gets).</summary>
    public IReadOnlyList<string> KeptModules => [.. Kept.Select(k => k.Module).Order(StringComparer.Ordinal)];
}
