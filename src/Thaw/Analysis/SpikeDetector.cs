namespace Thaw.Analysis;

/// <summary>
/// Finds modules whose error stands out among the modules of the same type across depth (spec A.5 step 2): per group
/// ("model.layers.*.mlp.down_proj"), z = (log e − median) / (1.4826 · MAD) of the log errors; a module is a spike when
/// z &gt; 3 and its error is also at least 10% above the group's median (so that numerically tiny spreads, as in
/// identically distributed layers, flag nothing). Weight error and, where an imatrix covers the whole group, the
/// activation-weighted error are both tested; the larger z counts. Groups of fewer than 3 modules have no spikes.
/// </summary>
public static class SpikeDetector
{
    public const double Threshold = 3;
    public const double MinimumExcess = 1.1;
    private const double MadToSigma = 1.4826;
    private const int MinimumGroup = 3;

    /// <summary>The robust z-score of every module (0 in groups too small to judge), by module name.</summary>
    public static IReadOnlyDictionary<string, double> Scores(IReadOnlyList<ModuleAnalysis> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var group in modules.GroupBy(m => m.Name.Group, StringComparer.Ordinal))
        {
            var members = group.ToList();
            var weight = ZScores(members, m => m.Error.RelativeError);
            var activation = members.All(m => m.Error.WeightedError is not null) ? ZScores(members, m => m.Error.WeightedError!.Value) : null;
            for (var i = 0; i < members.Count; i++)
                scores[members[i].Module] = Math.Max(weight[i], activation?[i] ?? double.NegativeInfinity);
        }
        return scores;
    }

    /// <summary>Whether a score marks a spike.</summary>
    public static bool IsSpike(double score) => score > Threshold;

    private static double[] ZScores(List<ModuleAnalysis> members, Func<ModuleAnalysis, double> error)
    {
        var result = new double[members.Count];
        if (members.Count < MinimumGroup)
            return result;
        var logs = members.Select(m => Math.Log(Math.Max(error(m), double.Epsilon))).ToArray();
        var median = Median(logs);
        var mad = Median([.. logs.Select(l => Math.Abs(l - median))]);
        for (var i = 0; i < logs.Length; i++)
        {
            var above = logs[i] - median;
            if (above < Math.Log(MinimumExcess))
                result[i] = mad > 0 ? Math.Min(above / (MadToSigma * mad), Threshold) : 0;
            else
                result[i] = mad > 0 ? above / (MadToSigma * mad) : double.PositiveInfinity;
        }
        return result;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
