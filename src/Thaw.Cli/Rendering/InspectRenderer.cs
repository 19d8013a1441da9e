using System.Globalization;
using Spectre.Console;
using Thaw.Inspection;
using Thaw.IO;

namespace Thaw.Cli.Rendering;

/// <summary>The human-readable form of an inspection report: a summary, then the tensor table.</summary>
internal static class InspectRenderer
{
    public static void Render(IAnsiConsole console, InspectionReport report)
    {
        var summary = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        Row(summary, "path", report.Path);
        Row(summary, "kind", $"{report.Kind} ({report.Format})");
        if (report.Model is { } model)
            AddModel(summary, model);
        if (report.Adapter is { } adapter)
            AddAdapter(summary, adapter);
        if (report.Gguf is { } gguf)
            AddGguf(summary, gguf);
        Row(summary, "parameters", report.Parameters.ToString("N0", CultureInfo.InvariantCulture));
        Row(summary, "size", $"{ByteSize.Format(report.TotalBytes)} in {report.Files.Count} file(s)");
        Row(summary, "by dtype", string.Join(", ", report.BytesByDtype.Select(p => $"{p.Key} {ByteSize.Format(p.Value)}")));
        console.Write(summary);
        console.WriteLine();

        if (report.Adapter is { Modules.Count: > 0 } withModules)
            console.Write(ModuleTable(withModules));
        if (report.Gguf is { } withMetadata)
            console.Write(MetadataTable(withMetadata));
        console.Write(TensorTable(report));
    }

    private static void AddModel(Grid grid, ModelSummary model)
    {
        Row(grid, "architecture", $"{model.Architecture ?? "?"} (model_type {model.ModelType ?? "?"}{(model.KnownModelType ? "" : ", not known to Thaw")})");
        Row(grid, "shape", $"hidden {Show(model.HiddenSize)}, layers {Show(model.NumHiddenLayers)}, heads {Show(model.NumAttentionHeads)}/{Show(model.NumKeyValueHeads)} kv, intermediate {Show(model.IntermediateSize)}, vocab {Show(model.VocabSize)}");
        Row(grid, "dtype", model.Dtype ?? "?");
        Row(grid, "embeddings", model.LmHeadTiedToEmbedding ? "tied (lm_head shares embed_tokens)" : model.TieWordEmbeddings ? "tie_word_embeddings true" : "untied");
        if (model.Quantization is { } q)
        {
            var detail = q.Method == "bitsandbytes"
                ? $"bitsandbytes {q.Bits}-bit" + (q.Bits == 4 ? $" {q.QuantType}, double quant {Yes(q.DoubleQuant)}, compute {q.ComputeDtype}, storage {q.QuantStorage}" : "")
                : $"{q.Method} (not supported by Thaw)";
            if (q.SkipModules is { Count: > 0 } skip)
                detail += $", kept in 16 bits: {string.Join(", ", skip)}";
            Row(grid, "quantization", detail);
        }
    }

    private static void AddAdapter(Grid grid, AdapterSummary adapter)
    {
        Row(grid, "peft type", adapter.PeftType);
        Row(grid, "lora", $"r {adapter.R}, alpha {Num(adapter.LoraAlpha)}, scaling {Num(adapter.Scaling)}{(adapter.UseRslora ? " (rsLoRA: alpha/sqrt(r))" : "")}{(adapter.UseDora ? ", DoRA" : "")}");
        Row(grid, "targets", adapter.TargetModules is { } t ? string.Join(", ", t) : adapter.TargetModulesRegex ?? "(none listed)");
        if (adapter.ModulesToSave is { Count: > 0 } save)
            Row(grid, "modules to save", string.Join(", ", save));
        Row(grid, "base model", adapter.BaseModelNameOrPath ?? "(not recorded)");
        Row(grid, "tensors", $"{adapter.TensorCount} ({adapter.Modules.Count} adapted modules, {adapter.OtherTensors.Count} other)");
        Row(grid, "refused", adapter.Refused.Count == 0 ? "nothing" : string.Join("; ", adapter.Refused.Select(r => $"{r.Field}: {r.Reason}")));
    }

    private static void AddGguf(Grid grid, GgufSummary gguf)
    {
        Row(grid, "architecture", gguf.Architecture ?? "? (no general.architecture)");
        Row(grid, "name", gguf.Name ?? "(none)");
        Row(grid, "type", gguf.Type ?? "(no general.type)");
        Row(grid, "file type", gguf.FileType is { } f ? $"{gguf.FileTypeName ?? "unknown"} ({f})" : "(no general.file_type)");
        Row(grid, "gguf", $"version {gguf.Version}, alignment {gguf.Alignment}, {gguf.MetadataCount} key/values, {gguf.TensorCount} tensors, data at byte {gguf.DataOffset}");
    }

    private static Table MetadataTable(GgufSummary gguf)
    {
        const int MaxValueLength = 60;
        var table = new Table().Border(TableBorder.Simple).AddColumns("key", "type", "value");
        foreach (var m in gguf.Metadata)
        {
            string type, value;
            if (m.ElementType is { } element)
            {
                type = $"array[{element}]";
                value = $"{m.Length} elements";
            }
            else
            {
                type = m.Type;
                value = m.Value is null ? "" : m.Value.GetValueKind() == System.Text.Json.JsonValueKind.String ? m.Value.GetValue<string>() : m.Value.ToJsonString();
                value = value.ReplaceLineEndings("\\n");
                if (value.Length > MaxValueLength)
                    value = value[..MaxValueLength] + $"… ({value.Length} chars)";
            }
            AddTextRow(table, m.Key, type, value);
        }
        return table;
    }

    private static Table ModuleTable(AdapterSummary adapter)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("module", "kind", "r", "alpha", "scaling");
        foreach (var m in adapter.Modules)
            AddTextRow(table, m.Module, m.Kind, m.Rank.ToString(CultureInfo.InvariantCulture), Num(m.Alpha), Num(m.Scaling));
        return table;
    }

    private static Table TensorTable(InspectionReport report)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("tensor", "dtype", "shape", "quantization", "size");
        table.Columns[4].RightAligned();
        foreach (var t in report.Tensors)
        {
            var quant = t.Quantization is { } q
                ? $"{q.Kind}" + (q.Blocksize is { } b ? $" block {b}" : "") + (q.DoubleQuant == true ? " dq" : "") + $" in {q.StorageDtype}{ShapeText(q.StoredShape)}"
                : "";
            AddTextRow(table, t.Name, t.Dtype, ShapeText(t.Shape), quant, ByteSize.Format(t.Bytes));
        }
        return table;
    }

    // Cells are plain text: tensor names and shapes contain '[' which markup would parse.
    private static void AddTextRow(Table table, params string[] cells) => table.AddRow(cells.Select(c => new Text(c)));

    private static void Row(Grid grid, string key, string value) => grid.AddRow(new Text(key, new Style(decoration: Decoration.Bold)), new Text(value));

    private static string ShapeText(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Show(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Num(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Yes(bool? value) => value == true ? "yes" : "no";
}
