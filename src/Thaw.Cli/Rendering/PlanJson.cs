using System.Text;
using System.Text.Json;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;

namespace Thaw.Cli.Rendering;

/// <summary>The --plan --json output: what a run would write, without writing it.</summary>
internal static class PlanJson
{
    /// <summary>A safetensors folder plan.</summary>
    public static string Serialize(PipelinePlan plan, IReadOnlyList<string> notes) => Write(json =>
    {
        json.WriteString("output", plan.OutputPath);
        json.WriteString("format", "safetensors");
        json.WriteNumber("parameters", plan.ParameterCount);
        json.WriteNumber("bytes", plan.OutputBytes);
        Common(json, plan.MemoryBound, plan.FreeBytes, plan.RequiredFreeBytes);
        json.WriteStartArray("files");
        foreach (var name in plan.FileNames)
            json.WriteStringValue(name);
        json.WriteEndArray();
        json.WriteStartArray("tensors");
        foreach (var t in plan.Tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", t.Tensor.Name);
            json.WriteString("dtype", Tensors.DTypes.SafetensorsName(t.Tensor.DType));
            WriteShape(json, "shape", t.Tensor.Shape);
            json.WriteString("file", t.FileName);
            json.WriteString("steps", t.Tensor.Producer.Description);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        Notes.Write(json, notes);
    });

    /// <summary>A GGUF file plan.</summary>
    public static string Serialize(GgufPlan plan) => Write(json =>
    {
        json.WriteString("output", plan.OutputPath);
        json.WriteString("format", "gguf");
        json.WriteNumber("parameters", plan.ParameterCount);
        json.WriteNumber("bytes", plan.OutputBytes);
        Common(json, plan.MemoryBound, plan.FreeBytes, plan.RequiredFreeBytes);
        json.WriteStartArray("metadata");
        foreach (var (key, value) in plan.Layout.Metadata)
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WriteString("type", value.TypeName);
            json.WriteString("value", value.ToString());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("tensors");
        foreach (var (planned, info) in plan.Tensors.Zip(plan.Layout.Tensors))
        {
            json.WriteStartObject();
            json.WriteString("name", info.Name);
            json.WriteString("type", Formats.Gguf.GgmlTypes.Name(info.Type));
            WriteShape(json, "ne", info.Dimensions);
            json.WriteString("steps", planned.Tensor.Producer.Description);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        Notes.Write(json, plan.Notes);
    });

    private static void Common(Utf8JsonWriter json, long memoryBound, long? freeBytes, long requiredFreeBytes)
    {
        json.WriteNumber("memory_bound_bytes", memoryBound);
        if (freeBytes is { } free)
            json.WriteNumber("free_bytes", free);
        else
            json.WriteNull("free_bytes");
        json.WriteNumber("required_free_bytes", requiredFreeBytes);
    }

    private static void WriteShape(Utf8JsonWriter json, string name, IEnumerable<long> shape)
    {
        json.WriteStartArray(name);
        foreach (var d in shape)
            json.WriteNumberValue(d);
        json.WriteEndArray();
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
