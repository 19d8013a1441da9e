using System.Text.Json.Nodes;
using Thaw.Formats.Gguf;

namespace Thaw.Inspection;

/// <summary>The inspect report of a GGUF file (a llama.cpp model or LoRA adapter).</summary>
internal static class GgufInspection
{
    public static InspectionReport Inspect(string input, string path)
    {
        using var file = GgufFile.Open(path);
        var metadata = file.Metadata;
        var type = metadata.TryGetValue("general.type", out var t) && t.Type == GgufValueType.String ? t.AsString() : null;
        var fileType = metadata.TryGetValue("general.file_type", out var ft) && ft.Type == GgufValueType.UInt32 ? ft.AsUInt32() : (uint?)null;
        var name = Path.GetFileName(path);
        var summary = new GgufSummary(
            Version: file.Version,
            Alignment: file.Alignment,
            DataOffset: file.DataStart,
            Architecture: metadata.TryGetValue("general.architecture", out var a) && a.Type == GgufValueType.String ? a.AsString() : null,
            Type: type,
            Name: metadata.TryGetValue("general.name", out var n) && n.Type == GgufValueType.String ? n.AsString() : null,
            FileType: fileType,
            FileTypeName: fileType is { } f ? LlamaFileTypes.Name(f) : null,
            TensorCount: file.Tensors.Length,
            MetadataCount: metadata.Count,
            Metadata: [.. metadata.Select(p => Summarize(p.Key, p.Value))],
            Tensors: [.. file.Tensors.Select(x => new GgufTensorSummary(x.Name, GgmlTypes.Name(x.Type), x.Dimensions, x.Offset, x.ByteLength))]);
        return new InspectionReport(
            Path: input,
            Kind: type == "adapter" ? InspectionReport.AdapterKind : InspectionReport.ModelKind,
            Format: "gguf",
            Files: [new FileSummary(name, file.FileLength, file.Tensors.Length)],
            Model: null,
            Adapter: null,
            Parameters: file.Tensors.Sum(x => x.ElementCount),
            TotalBytes: file.Tensors.Sum(x => x.ByteLength),
            BytesByDtype: file.Tensors.GroupBy(x => GgmlTypes.Name(x.Type))
                .Select(g => (Name: g.Key, Bytes: g.Sum(x => x.ByteLength)))
                .OrderByDescending(p => p.Bytes).ThenBy(p => p.Name, StringComparer.Ordinal)
                .ToDictionary(p => p.Name, p => p.Bytes),
            Tensors: [.. file.Tensors.Select(x => new TensorSummary(x.Name, GgmlTypes.Name(x.Type), x.Shape, x.ElementCount, x.ByteLength, name, null))])
        {
            Gguf = summary,
        };
    }

    private static GgufMetadataSummary Summarize(string key, GgufValue value) =>
        value.ElementType is { } element
            ? new GgufMetadataSummary(key, "array", null, GgufValueTypes.Name(element), value.Length)
            : new GgufMetadataSummary(key, GgufValueTypes.Name(value.Type), Json(value), null, null);

    private static JsonNode Json(GgufValue value) => value.Type switch
    {
        GgufValueType.UInt8 => JsonValue.Create(value.AsUInt8()),
        GgufValueType.Int8 => JsonValue.Create(value.AsInt8()),
        GgufValueType.UInt16 => JsonValue.Create(value.AsUInt16()),
        GgufValueType.Int16 => JsonValue.Create(value.AsInt16()),
        GgufValueType.UInt32 => JsonValue.Create(value.AsUInt32()),
        GgufValueType.Int32 => JsonValue.Create(value.AsInt32()),
        GgufValueType.UInt64 => JsonValue.Create(value.AsUInt64()),
        GgufValueType.Int64 => JsonValue.Create(value.AsInt64()),
        // JSON has no NaN or Infinity: those are given as strings.
        GgufValueType.Float32 when float.IsFinite(value.AsFloat32()) => JsonValue.Create(value.AsFloat32()),
        GgufValueType.Float64 when double.IsFinite(value.AsFloat64()) => JsonValue.Create(value.AsFloat64()),
        GgufValueType.Bool => JsonValue.Create(value.AsBool()),
        _ => JsonValue.Create(value.ToString()),
    };
}
