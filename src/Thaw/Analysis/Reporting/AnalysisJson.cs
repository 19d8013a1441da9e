using System.Text;
using System.Text.Json;

namespace Thaw.Analysis.Reporting;

/// <summary>
/// The numbers of an analysis as JSON (stable snake_case names, documented in README.md): settings, byte totals, the
/// budget, every module's measurements and spike score, what is kept and why, and the llm_int8_skip_modules list
/// <c>thaw quantize --dynamic</c> writes. Non-finite numbers (a spike score in a group of identical errors) are null.
/// </summary>
public static class AnalysisJson
{
    public static string Write(ModelAnalysis analysis, DynamicChoice choice, IReadOnlyList<string> skipModules)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(skipModules);
        var kept = choice.Kept.ToDictionary(k => k.Module, StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", analysis.ModelPath);
            w.WriteString("type", analysis.Settings.QuantType.ToString().ToLowerInvariant());
            w.WriteNumber("blocksize", analysis.Settings.Blocksize);
            w.WriteBoolean("double_quant", analysis.Settings.DoubleQuant);
            if (analysis.Imatrix is { } imatrix)
            {
                w.WriteStartObject("imatrix");
                w.WriteString("path", imatrix.Path);
                w.WriteString("format", imatrix.Format);
                w.WriteNumber("entries", imatrix.Entries.Count);
                w.WriteNumber("chunks", imatrix.ChunkCount);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("imatrix");
            }
            w.WriteNumber("model_bytes", analysis.ModelBytes);
            w.WriteNumber("all_4bit_bytes", analysis.AllFourBitBytes);
            w.WriteNumber("dynamic_bytes", analysis.AllFourBitBytes + choice.UsedBytes);
            w.WriteStartObject("budget");
            w.WriteNumber("fraction", choice.BudgetFraction);
            w.WriteNumber("bytes", choice.BudgetBytes);
            w.WriteNumber("used_bytes", choice.UsedBytes);
            w.WriteEndObject();

            w.WriteStartArray("modules");
            foreach (var m in analysis.Modules)
            {
                var e = m.Error;
                w.WriteStartObject();
                w.WriteString("module", m.Module);
                w.WriteString("group", m.Name.Group);
                if (m.Name.Layer is { } layer)
                    w.WriteNumber("layer", layer);
                else
                    w.WriteNull("layer");
                w.WriteStartArray("shape");
                foreach (var d in m.Shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("dtype", Tensors.DTypes.TorchName(m.DType));
                w.WriteNumber("elements", e.Elements);
                w.WriteNumber("relative_error", e.RelativeError);
                w.WriteNumber("max_abs_error", e.MaxAbsError);
                Number(w, "weighted_error", e.WeightedError);
                w.WriteNumber("max_abs", e.MaxAbs);
                w.WriteNumber("rms", e.Rms);
                w.WriteNumber("max_over_rms", e.MaxOverRms);
                w.WriteNumber("kurtosis", e.Kurtosis);
                w.WriteNumber("outlier_fraction", e.OutlierFraction);
                w.WriteNumber("bytes_16bit", m.SixteenBitBytes);
                w.WriteNumber("bytes_4bit", m.FourBitBytes);
                w.WriteNumber("keep_cost", m.KeepCost);
                Number(w, "spike_z", choice.SpikeScores.TryGetValue(m.Module, out var z) ? z : null);
                w.WriteBoolean("kept", kept.ContainsKey(m.Module));
                if (kept.TryGetValue(m.Module, out var k))
                    w.WriteString("reason", ReasonName(k.Reason));
                else
                    w.WriteNull("reason");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Strings(w, "never_quantized", analysis.NeverQuantized);
            Kept(w, "kept", choice.Kept);
            Kept(w, "spikes_left_out", choice.SpikesLeftOut);
            Strings(w, "llm_int8_skip_modules", skipModules);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>"skip_list", "blocksize", "manual", "spike", "never_quantized".</summary>
    public static string ReasonName(KeepReason reason) => reason switch
    {
        KeepReason.NeverQuantized => "never_quantized",
        KeepReason.SkipList => "skip_list",
        KeepReason.Blocksize => "blocksize",
        KeepReason.Manual => "manual",
        KeepReason.Spike => "spike",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
            w.WriteNumber(name, v);
        else
            w.WriteNull(name);
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
            w.WriteStringValue(value);
        w.WriteEndArray();
    }

    private static void Kept(Utf8JsonWriter w, string name, IEnumerable<KeptModule> modules)
    {
        w.WriteStartArray(name);
        foreach (var k in modules)
        {
            w.WriteStartObject();
            w.WriteString("module", k.Module);
            w.WriteString("reason", ReasonName(k.Reason));
            w.WriteString("detail", k.Detail);
            w.WriteNumber("cost", k.Cost);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
