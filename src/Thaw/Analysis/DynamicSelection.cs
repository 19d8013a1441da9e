using System.Globalization;

namespace Thaw.Analysis;

/// <summary>
/// The choice of <c>thaw quantize --dynamic</c>: the always-kept modules (<see cref="AlwaysKeepRules"/>) and those named
/// with --skip first; then the spikes (<see cref="SpikeDetector"/>), greedily by error reduction per extra byte, while
/// the budget (extra bytes over the all-4-bit model) holds them. A module's error reduction is e²·numel (its relative
/// squared error summed over its weights; e is the activation-weighted error where an imatrix covers the module), its
/// cost 16-bit bytes − 4-bit bytes. Modules that are not spikes are never taken: a budget is a ceiling, not a target.
/// Ties are broken by name, so the same input gives the same choice.
/// </summary>
public static class DynamicSelection
{
    /// <summary>The default budget: 10% of the all-4-bit model.</summary>
    public const double DefaultBudget = 0.10;

    /// <summary>The smallest budget (fraction of the all-4-bit model) that holds the always-kept and --skip modules.</summary>
    public static double ForcedFraction(ModelAnalysis analysis, IReadOnlyList<string> manualSkips)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(manualSkips);
        var forced = Forced(analysis, manualSkips).Sum(k => k.Cost);
        return analysis.AllFourBitBytes > 0 ? (double)forced / analysis.AllFourBitBytes : 0;
    }

    /// <exception cref="AnalysisException">The budget cannot hold the forced modules (<see cref="AnalysisError.BudgetTooSmall"/>).</exception>
    public static DynamicChoice Choose(ModelAnalysis analysis, double budgetFraction, IReadOnlyList<string> manualSkips)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(manualSkips);
        if (!(budgetFraction >= 0) || double.IsInfinity(budgetFraction))
            throw new ArgumentOutOfRangeException(nameof(budgetFraction), budgetFraction, "the budget is a non-negative fraction");
        var allFourBit = analysis.AllFourBitBytes;
        var budget = (long)Math.Floor(budgetFraction * allFourBit + 1e-6);

        var kept = Forced(analysis, manualSkips);
        var forced = kept.Sum(k => k.Cost);
        if (forced > budget)
        {
            var needed = Math.Ceiling(1000.0 * forced / allFourBit) / 10;
            AnalysisException.Throw(AnalysisError.BudgetTooSmall, analysis.ModelPath, null, string.Create(CultureInfo.InvariantCulture,
                $"the budget of {budgetFraction * 100:0.##}% ({budget} bytes over the all-4-bit model's {allFourBit}) cannot hold the {kept.Count} modules that must stay in 16 bits, which need {forced} bytes ({needed:0.0}%); use --budget {needed:0.0}% or more"));
        }

        var scores = SpikeDetector.Scores(analysis.Modules);
        var keptNames = kept.Select(k => k.Module).ToHashSet(StringComparer.Ordinal);
        var spikes = analysis.Modules
            .Where(m => !keptNames.Contains(m.Module) && SpikeDetector.IsSpike(scores[m.Module]))
            .OrderByDescending(m => m.SelectionError * m.SelectionError * m.Error.Elements / Math.Max(m.KeepCost, 1))
            .ThenBy(m => m.Module, StringComparer.Ordinal);
        var left = budget - forced;
        var leftOut = new List<KeptModule>();
        foreach (var spike in spikes)
        {
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"error {spike.SelectionError:0.0000} is a spike among {spike.Name.Group} (robust z {Score(scores[spike.Module])})");
            var entry = new KeptModule(spike.Module, KeepReason.Spike, detail, spike.KeepCost);
            if (spike.KeepCost <= left)
            {
                kept.Add(entry);
                left -= spike.KeepCost;
            }
            else
            {
                leftOut.Add(entry with { Detail = detail + ", but the budget left could not hold it" });
            }
        }
        return new DynamicChoice(budgetFraction, budget, kept, scores, leftOut);
    }

    private static List<KeptModule> Forced(ModelAnalysis analysis, IReadOnlyList<string> manualSkips)
    {
        var kept = new List<KeptModule>();
        foreach (var module in analysis.Modules)
        {
            if (module.AlwaysKeep is { } reason)
                kept.Add(new KeptModule(module.Module, reason, module.AlwaysKeepDetail!, module.KeepCost));
            else if (manualSkips.FirstOrDefault(skip => AlwaysKeepRules.MatchesSegments(module.Module, skip)) is { } skip)
                kept.Add(new KeptModule(module.Module, KeepReason.Manual, $"named with --skip '{skip}'", module.KeepCost));
        }
        return kept;
    }

    /// <summary>Parses a budget: "10%" or "10" (percent of the all-4-bit model).</summary>
    /// <exception cref="AnalysisException">Not a non-negative number (<see cref="AnalysisError.BadBudget"/>).</exception>
    public static double ParseBudget(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var number = text.Trim().TrimEnd('%').Trim();
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || !(percent >= 0) || double.IsInfinity(percent))
            AnalysisException.Throw(AnalysisError.BadBudget, null, null,
                $"--budget '{text}' is not a percentage; give the extra memory over the all-4-bit model, like '10%'");
        return percent / 100;
    }

    private static string Score(double z) => double.IsPositiveInfinity(z) ? "∞, the rest of its group is identical" : z.ToString("0.0", CultureInfo.InvariantCulture);
}
