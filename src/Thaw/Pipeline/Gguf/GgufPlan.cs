using System.Globalization;
using System.Text;
using Thaw.Formats.Gguf;
using Thaw.IO;

namespace Thaw.Pipeline.Gguf;

/// <summary>One tensor of a GGUF plan: name, ggml dimensions and type, the producer of its bytes, and its element count.</summary>
internal sealed record GgufPlannedTensor(string Name, IReadOnlyList<long> Dimensions, GgmlType Type, ITensorProducer Producer, long Elements);

/// <summary>
/// A GGUF file decided before any byte is written: its layout (key/values, tensor infos and offsets), every
/// tensor's producer and chunking, the memory bound and the free space of the output's file system.
/// </summary>
public sealed class GgufPlan
{
    private GgufPlan(string outputPath, PipelineOptions options, GgufLayout layout, IReadOnlyList<PlannedTensor> tensors,
        long parameterCount, IReadOnlyList<string> notes)
    {
        OutputPath = outputPath;
        Options = options;
        Layout = layout;
        Tensors = tensors;
        ParameterCount = parameterCount;
        Notes = notes;
        FreeBytes = options.FreeSpaceProbe(outputPath);
        MemoryBound = PlanResources.MemoryBound(tensors, options);
    }

    /// <summary>
    /// Lays out <paramref name="metadata"/> and <paramref name="tensors"/> (in file order) and sizes every tensor's
    /// chunks within the memory limit.
    /// </summary>
    /// <exception cref="GgufException">A key/value or tensor that cannot be written.</exception>
    internal static GgufPlan Create(string outputPath, PipelineOptions options, IEnumerable<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<GgufPlannedTensor> tensors, IReadOnlyList<string> notes)
    {
        var layout = GgufLayout.Create(metadata, tensors.Select(t => new GgufTensorSpec(t.Name, t.Dimensions, t.Type)));
        var planned = new List<PlannedTensor>(tensors.Count);
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = OutputTensor.OfBytes(tensors[i].Name, tensors[i].Producer);
            var (rows, buffer) = ChunkSizing.For(tensor, options.MaxMemory, options.Threads);
            planned.Add(new PlannedTensor(tensor, Path.GetFileName(outputPath), layout.DataStart + layout.Tensors[i].Offset, rows, buffer));
        }
        return new GgufPlan(outputPath, options, layout, planned, tensors.Sum(t => t.Elements), notes);
    }

    /// <summary>The output file (full path).</summary>
    public string OutputPath { get; }

    public PipelineOptions Options { get; }

    public GgufLayout Layout { get; }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>Elements of every tensor (what general.size_label counts).</summary>
    public long ParameterCount { get; }

    /// <summary>What the conversion changed or decided, for summaries (tied embeddings, type fallbacks).</summary>
    public IReadOnlyList<string> Notes { get; }

    public long OutputBytes => Layout.FileLength;

    /// <summary>Free bytes of the output's file system, or null when unknown.</summary>
    public long? FreeBytes { get; }

    public long RequiredFreeBytes => OutputBytes + PipelinePlan.FreeSpaceMargin;

    /// <summary>Most bytes of chunk buffers in flight.</summary>
    public long MemoryBound { get; }

    /// <exception cref="PipelineException">The file system has less free space than <see cref="RequiredFreeBytes"/>.</exception>
    public void CheckFreeSpace() => PlanResources.CheckFreeSpace(OutputPath, OutputBytes, FreeBytes);

    /// <summary>A human-readable summary: key/values, tensors with their types and steps, size, memory and disk.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"output: {OutputPath}");
        text.AppendLine(inv, $"gguf: {Layout.Metadata.Count} key/values, {Tensors.Count} tensors ({ParameterCount:N0} parameters), {ByteSize.Format(OutputBytes)}");
        foreach (var (key, value) in Layout.Metadata)
            text.AppendLine(inv, $"  {key} = {value}");
        PlanResources.Describe(text, Tensors, Options, MemoryBound, FreeBytes, RequiredFreeBytes);
        foreach (var (planned, info) in Tensors.Zip(Layout.Tensors))
            text.AppendLine(inv, $"  {info.Name}  {info.DimensionsText}  {planned.Tensor.Producer.Description}");
        return text.ToString();
    }
}
