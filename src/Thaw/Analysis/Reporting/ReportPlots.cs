using System.Globalization;
using ScottPlot;

namespace Thaw.Analysis.Reporting;

/// <summary>The report's plots (ScottPlot): error by depth per module type, the error distribution, memory.</summary>
internal static class ReportPlots
{
    public const int Width = 1000;
    public const int Height = 560;

    /// <summary>One line per module type across depth; kept modules ringed in red.</summary>
    public static Plot ErrorByDepth(ModelAnalysis analysis, DynamicChoice choice)
    {
        var plot = new Plot();
        var kept = choice.Kept.Select(k => k.Module).ToHashSet(StringComparer.Ordinal);
        var layered = analysis.Modules.Where(m => m.Name.Layer is not null).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var group in layered.GroupBy(m => m.Name.Group, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = group.OrderBy(m => m.Name.Layer).ToList();
            var line = plot.Add.Scatter(
                points.Select(m => (double)m.Name.Layer!.Value).ToArray(),
                points.Select(m => m.SelectionError).ToArray(),
                palette.GetColor(index++));
            line.LegendText = group.Key;
            line.LineWidth = 2;
            line.MarkerSize = 5;
        }
        var chosen = layered.Where(m => kept.Contains(m.Module)).ToList();
        if (chosen.Count > 0)
        {
            var marks = plot.Add.Scatter(
                chosen.Select(m => (double)m.Name.Layer!.Value).ToArray(), chosen.Select(m => m.SelectionError).ToArray(), Colors.Red);
            marks.LineWidth = 0;
            marks.MarkerShape = MarkerShape.OpenCircle;
            marks.MarkerSize = 16;
            marks.MarkerLineWidth = 2.5f;
            marks.LegendText = "kept in 16 bits";
        }
        plot.Title(analysis.Imatrix is null ? "4-bit weight error by layer" : "4-bit activation-weighted error by layer");
        plot.XLabel("layer");
        plot.YLabel(analysis.Imatrix is null ? "relative error ||W − deq(q(W))|| / ||W||" : "weighted relative error");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    /// <summary>Histogram of the selection errors of all measured modules.</summary>
    public static Plot Distribution(ModelAnalysis analysis)
    {
        var plot = new Plot();
        var errors = analysis.Modules.Select(m => m.SelectionError).ToArray();
        var min = errors.Min();
        var max = errors.Max();
        if (max <= min)
            max = min + 1e-6;
        var bins = Math.Clamp(errors.Length / 2, 5, 60);
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, min, max + (max - min) * 1e-9);
        histogram.AddRange(errors);
        var bars = plot.Add.Histogram(histogram);
        bars.BarWidthFraction = 0.9;
        plot.Title("Distribution of per-module 4-bit error");
        plot.XLabel(analysis.Imatrix is null ? "relative weight error" : "weighted relative error");
        plot.YLabel("modules");
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    /// <summary>Model bytes in 16 bits, all-4-bit and with the dynamic choice.</summary>
    public static Plot Memory(ModelAnalysis analysis, DynamicChoice choice)
    {
        var plot = new Plot();
        var (unit, divisor) = Unit(analysis.ModelBytes);
        double[] values = [analysis.ModelBytes / divisor, analysis.AllFourBitBytes / divisor, (analysis.AllFourBitBytes + choice.UsedBytes) / divisor];
        string[] labels = ["16-bit (model dtype)", "all 4-bit", "dynamic 4-bit"];
        Color[] colors = [Colors.SlateGray, Colors.SteelBlue, Colors.DarkOrange];
        var bars = values.Select((v, i) => new Bar
        {
            Position = i,
            Value = v,
            FillColor = colors[i],
            Label = v.ToString(v >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) + " " + unit,
        }).ToList();
        var plotted = plot.Add.Bars(bars);
        plotted.ValueLabelStyle.FontSize = 16;
        plot.Axes.Bottom.SetTicks([0, 1, 2], labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Memory: dynamic keeps {choice.Kept.Count} modules in 16 bits, +{100.0 * choice.UsedBytes / Math.Max(analysis.AllFourBitBytes, 1):0.0}% over all-4-bit"));
        plot.YLabel(unit);
        return plot;
    }

    public static (string Unit, double Divisor) Unit(long bytes) =>
        bytes >= 1L << 30 ? ("GiB", 1L << 30) : bytes >= 1L << 20 ? ("MiB", 1L << 20) : ("KiB", 1L << 10);
}
