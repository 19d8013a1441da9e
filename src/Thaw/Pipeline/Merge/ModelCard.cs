using System.Globalization;
using System.Reflection;
using System.Text;
using Thaw.Tensors;

namespace Thaw.Pipeline.Merge;

/// <summary>The README.md written beside a merged model: base, adapters, scalings, target, dtype and Thaw's version.</summary>
public static class ModelCard
{
    public const string FileName = "README.md";

    /// <summary>Thaw's version, as its assembly states it.</summary>
    public static string ThawVersion { get; } =
        typeof(ModelCard).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static byte[] ForMerge(MergeRequest request, DType dtype, string target, IReadOnlyList<string> notes)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(notes);
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("---");
        text.AppendLine(inv, $"base_model: {Yaml(request.BaseName)}");
        text.AppendLine("library_name: transformers");
        text.AppendLine("tags:");
        text.AppendLine("- thaw");
        text.AppendLine("- lora");
        text.AppendLine("- merged");
        text.AppendLine("---");
        text.AppendLine();
        text.AppendLine(inv, $"# {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.OutputPath)))}");
        text.AppendLine();
        text.AppendLine(inv, $"`{request.BaseName}` with {(request.Adapters.Count == 1 ? "a LoRA adapter" : $"{request.Adapters.Count} LoRA adapters")} merged into its weights by Thaw {ThawVersion} (`thaw merge`).");
        text.AppendLine();
        text.AppendLine(inv, $"- Base: `{request.BaseName}`{(request.Base.Quantization is { } q ? $" ({q.Method})" : "")}");
        text.AppendLine(inv, $"- Merged into: {target}");
        text.AppendLine(inv, $"- Weights: {DTypes.TorchName(dtype)}, each merged value computed in float32 as W + Σ weight·scaling·(B·A) and rounded once");
        text.AppendLine();
        text.AppendLine("| adapter | weight | modules | rank | alpha | scaling | DoRA |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var merge in request.Adapters)
        {
            var modules = merge.Adapter.Modules;
            text.AppendLine(inv, $"| `{merge.Label}` | {merge.Weight:G6} | {modules.Count} | {Range(modules.Select(m => (double)m.Rank))} | {Range(modules.Select(m => m.Alpha))} | {Range(modules.Select(m => m.Scaling))} | {(modules.Any(m => m.Magnitude is not null) ? "yes" : "no")} |");
        }
        if (notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            foreach (var note in notes)
                text.AppendLine(inv, $"- {note}");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
            return "-";
        var (min, max) = (list.Min(), list.Max());
        return min == max ? min.ToString("G6", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{min:G6}–{max:G6}");
    }

    private static string Yaml(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
