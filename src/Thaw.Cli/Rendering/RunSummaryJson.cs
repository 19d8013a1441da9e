using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Cli.Rendering;

/// <summary>The --json result of a command that writes a model folder.</summary>
internal static class RunSummaryJson
{
    /// <param name="summary">What was written.</param>
    /// <param name="dtype">The output dtype; null for outputs without one (a GGUF file of mixed types).</param>
    /// <param name="extra">Writes the command's own fields into the object, after the common ones.</param>
    public static string Serialize(OutputSummary summary, DType? dtype, Action<Utf8JsonWriter>? extra = null)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("output", summary.Path);
            if (dtype is { } value)
                json.WriteString("dtype", DTypes.TorchName(value));
            json.WriteStartArray("files");
            foreach (var file in summary.Files)
                json.WriteStringValue(file);
            json.WriteEndArray();
            json.WriteNumber("tensors", summary.TensorCount);
            json.WriteNumber("tensor_bytes", summary.TensorBytes);
            json.WriteNumber("bytes", summary.OutputBytes);
            json.WriteNumber("seconds", Math.Round(summary.Elapsed.TotalSeconds, 3));
            using (var process = Process.GetCurrentProcess())
                json.WriteNumber("peak_rss_bytes", process.PeakWorkingSet64);
            extra?.Invoke(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
