using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace Thaw.Analysis.Reporting;

/// <summary>
/// Writes DIR/report.html (self-contained: the plots are inlined as PNG data URIs, no script or remote resource),
/// the plots as PNG and SVG files beside it, and DIR/analysis.json (<see cref="AnalysisJson"/>).
/// </summary>
public static class AnalysisReport
{
    public const string HtmlFileName = "report.html";
    public const string JsonFileName = "analysis.json";

    /// <summary>The files written, in the order written.</summary>
    public static IReadOnlyList<string> Write(string directory, ModelAnalysis analysis, DynamicChoice choice, IReadOnlyList<string> skipModules)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(skipModules);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var images = new List<(string Title, string Png)>();
        foreach (var (name, title, plot) in new[]
        {
            ("error-by-depth", "Error by layer depth", ReportPlots.ErrorByDepth(analysis, choice)),
            ("error-distribution", "Error distribution", ReportPlots.Distribution(analysis)),
            ("memory", "Memory before and after", ReportPlots.Memory(analysis, choice)),
        })
        {
            var png = plot.GetImageBytes(ReportPlots.Width, ReportPlots.Height, ImageFormat.Png);
            var pngPath = Path.Combine(directory, name + ".png");
            File.WriteAllBytes(pngPath, png);
            var svgPath = Path.Combine(directory, name + ".svg");
            File.WriteAllText(svgPath, plot.GetSvgXml(ReportPlots.Width, ReportPlots.Height));
            written.Add(pngPath);
            written.Add(svgPath);
            images.Add((title, Convert.ToBase64String(png)));
        }
        var json = Path.Combine(directory, JsonFileName);
        File.WriteAllText(json, AnalysisJson.Write(analysis, choice, skipModules));
        written.Add(json);
        var html = Path.Combine(directory, HtmlFileName);
        File.WriteAllText(html, Html(analysis, choice, skipModules, images));
        written.Add(html);
        return written;
    }

    private static string Html(ModelAnalysis analysis, DynamicChoice choice, IReadOnlyList<string> skipModules, List<(string Title, string Png)> images)
    {
        var s = analysis.Settings;
        var c = CultureInfo.InvariantCulture;
        var kept = choice.Kept.ToDictionary(k => k.Module, StringComparer.Ordinal);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>thaw analyze: ").Append(E(Path.GetFileName(analysis.ModelPath.TrimEnd('/'))))
            .Append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}"
                + "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}"
                + "tr.kept{background:#fde2e2}img{max-width:100%}code{background:#f3f3f3}</style></head><body>\n");
        b.Append("<h1>4-bit sensitivity of ").Append(E(analysis.ModelPath)).Append("</h1>\n<p>");
        b.Append(c, $"Quantizer: <b>{s.QuantType.ToString().ToLowerInvariant()}</b>, blocksize {s.Blocksize}, double quantization {(s.DoubleQuant ? "on" : "off")} — exactly what <code>thaw quantize</code> writes. ");
        b.Append(c, $"{analysis.Modules.Count} quantizable modules measured. ");
        b.Append(analysis.Imatrix is { } m
            ? string.Create(c, $"Importance matrix: {E(m.Path)} ({m.Format}, {m.Entries.Count} weights, {m.ChunkCount} chunks); errors are activation-weighted where it covers a module.")
            : "No importance matrix: errors are weight errors.");
        b.Append("</p>\n<p>");
        var (unit, divisor) = ReportPlots.Unit(analysis.ModelBytes);
        b.Append(c, $"Model {analysis.ModelBytes / divisor:0.00} {unit}; all-4-bit {analysis.AllFourBitBytes / divisor:0.00} {unit}; ");
        b.Append(c, $"dynamic {(analysis.AllFourBitBytes + choice.UsedBytes) / divisor:0.00} {unit} ");
        b.Append(c, $"(+{choice.UsedBytes} bytes of a {choice.BudgetFraction * 100:0.##}% budget of {choice.BudgetBytes} bytes).</p>\n");

        b.Append("<h2>Kept in 16 bits</h2>\n<table><tr><th>module</th><th>rule</th><th>why</th><th>extra bytes</th></tr>\n");
        foreach (var k in choice.Kept)
            b.Append(c, $"<tr><td>{E(k.Module)}</td><td>{AnalysisJson.ReasonName(k.Reason)}</td><td style=\"text-align:left\">{E(k.Detail)}</td><td>{k.Cost}</td></tr>\n");
        foreach (var never in analysis.NeverQuantized)
            b.Append(c, $"<tr><td>{E(BnbName(never))}</td><td>never_quantized</td><td style=\"text-align:left\">transformers never quantizes embeddings and the output embedding</td><td>0</td></tr>\n");
        b.Append("</table>\n");
        if (choice.SpikesLeftOut.Count > 0)
        {
            b.Append("<h3>Spikes the budget could not hold</h3>\n<ul>\n");
            foreach (var k in choice.SpikesLeftOut)
                b.Append(c, $"<li>{E(k.Module)}: {E(k.Detail)} ({k.Cost} bytes)</li>\n");
            b.Append("</ul>\n");
        }
        b.Append("<p><code>llm_int8_skip_modules</code> as <code>thaw quantize --dynamic</code> writes it: <code>")
            .Append(E(skipModules.Count == 0 ? "null" : "[" + string.Join(", ", skipModules.Select(n => "\"" + n + "\"")) + "]")).Append("</code></p>\n");

        foreach (var (title, png) in images)
            b.Append("<h2>").Append(E(title)).Append("</h2>\n<img alt=\"").Append(E(title)).Append("\" src=\"data:image/png;base64,").Append(png).Append("\">\n");

        b.Append("<h2>All modules</h2>\n<p>Outlier statistics: max|W|/rms; excess kurtosis (0 for normal weights, larger for heavy tails); "
            + "the fraction of weights beyond 6σ of the mean. z: robust z-score of the log error among modules of the same type across depth; spikes have z &gt; 3.</p>\n");
        b.Append("<table><tr><th>module</th><th>shape</th><th>rel. error</th><th>weighted</th><th>max abs err</th><th>max/rms</th><th>kurtosis</th><th>&gt;6σ</th><th>z</th><th>kept</th></tr>\n");
        foreach (var module in analysis.Modules)
        {
            var e = module.Error;
            var z = choice.SpikeScores.TryGetValue(module.Module, out var score) ? score : 0;
            b.Append(kept.ContainsKey(module.Module) ? "<tr class=\"kept\">" : "<tr>");
            b.Append(c, $"<td>{E(module.Module)}</td><td>[{string.Join(", ", module.Shape)}]</td><td>{e.RelativeError:0.00000}</td>");
            b.Append(c, $"<td>{(e.WeightedError is { } wtd ? wtd.ToString("0.00000", c) : "")}</td><td>{e.MaxAbsError:G4}</td><td>{e.MaxOverRms:0.0}</td>");
            b.Append(c, $"<td>{e.Kurtosis:0.00}</td><td>{e.OutlierFraction:G3}</td><td>{(double.IsFinite(z) ? z.ToString("0.0", c) : "∞")}</td>");
            b.Append("<td>").Append(kept.TryGetValue(module.Module, out var k) ? AnalysisJson.ReasonName(k.Reason) : "").Append("</td></tr>\n");
        }
        b.Append("</table>\n<p>The same numbers: <code>").Append(JsonFileName).Append("</code>.</p>\n</body></html>\n");
        return b.ToString();
    }

    private static string BnbName(string weight) => weight.EndsWith(".weight", StringComparison.Ordinal) ? weight[..^".weight".Length] : weight;

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
