using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Thaw.Lora;

namespace Thaw.Cli.Rendering;

/// <summary>The <c>thaw doctor</c> output: a module table and the findings, or the stable snake_case JSON.</summary>
internal static class DoctorRenderer
{
    public static void Render(IAnsiConsole console, AdapterDiagnosis diagnosis)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("module", "base tensor", "kind", "r", "alpha", "scaling", "||dW||/||W||");
        foreach (var m in diagnosis.Modules)
        {
            table.AddRow(new[]
            {
                m.Module, m.BaseTensor ?? "(none)", KindName(m), m.Rank.ToString(CultureInfo.InvariantCulture), Num(m.Alpha), Num(m.Scaling),
                m.Ratio is { } r ? r.ToString("0.000000", CultureInfo.InvariantCulture) : "-",
            }.Select(c => new Text(c)));
        }
        console.Write(table);
        foreach (var f in diagnosis.Findings)
            console.WriteLine($"{SeverityName(f.Severity)}: [{f.Code}]{(f.Module is null ? "" : " " + f.Module + ":")} {f.Message}", Style.Plain);
        var warnings = diagnosis.Findings.Count(f => f.Severity == FindingSeverity.Warning);
        if (!diagnosis.HasErrors)
            console.WriteLine($"ok: {diagnosis.Modules.Count} module(s) apply cleanly ({warnings} warning(s))", Style.Plain);
    }

    /// <summary>The --json output; keys documented in README (thaw doctor).</summary>
    public static string Json(AdapterDiagnosis diagnosis, string baseName, string adapterFolder)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("base", baseName);
            json.WriteString("adapter", adapterFolder);
            json.WriteBoolean("ok", !diagnosis.HasErrors);
            json.WriteNumber("errors", diagnosis.Findings.Count(f => f.Severity == FindingSeverity.Error));
            json.WriteNumber("warnings", diagnosis.Findings.Count(f => f.Severity == FindingSeverity.Warning));
            json.WriteStartArray("modules");
            foreach (var m in diagnosis.Modules)
            {
                json.WriteStartObject();
                json.WriteString("module", m.Module);
                json.WriteString("base_tensor", m.BaseTensor);
                json.WriteString("kind", m.Kind == LoraModuleKind.Embedding ? "embedding" : "linear");
                json.WriteBoolean("dora", m.IsDora);
                json.WriteNumber("r", m.Rank);
                json.WriteNumber("alpha", m.Alpha);
                json.WriteNumber("scaling", m.Scaling);
                WriteNullable(json, "delta_norm", m.DeltaNorm);
                WriteNullable(json, "base_norm", m.BaseNorm);
                WriteNullable(json, "ratio", m.Ratio);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("findings");
            foreach (var f in diagnosis.Findings)
            {
                json.WriteStartObject();
                json.WriteString("severity", SeverityName(f.Severity));
                json.WriteString("code", f.Code);
                json.WriteString("module", f.Module);
                json.WriteString("message", f.Message);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
    }

    private static string KindName(ModuleDiagnosis m) => (m.Kind == LoraModuleKind.Embedding ? "embedding" : "linear") + (m.IsDora ? "+dora" : "");

    private static string SeverityName(FindingSeverity severity) => severity == FindingSeverity.Error ? "error" : "warning";

    private static string Num(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
