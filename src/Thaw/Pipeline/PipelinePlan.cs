using System.Globalization;
using System.Text;
using Thaw.Formats.Safetensors;
using Thaw.IO;

namespace Thaw.Pipeline;

/// <summary>
/// Everything about an output decided before any byte is written: every tensor with its producer, shard, offset and
/// chunking; the shard files' layouts; the companion files (index, config, tokenizer...); the output size, the
/// memory bound and the free space of the output's file system.
/// </summary>
public sealed class PipelinePlan
{
    /// <summary>Free space required beyond the output itself, for the file system's own bookkeeping.</summary>
    public const long FreeSpaceMargin = 64L << 20;

    private PipelinePlan(
        string outputPath, PipelineOptions options, IReadOnlyList<PlannedTensor> tensors, ShardPlan shards,
        IReadOnlyList<SafetensorsLayout> layouts, IReadOnlyList<CompanionFile> companionFiles, long? freeBytes)
    {
        OutputPath = outputPath;
        Options = options;
        Tensors = tensors;
        Shards = shards;
        Layouts = layouts;
        CompanionFiles = companionFiles;
        FreeBytes = freeBytes;
        ParameterCount = tensors.Sum(t => t.Tensor.ElementCount);
        OutputBytes = layouts.Sum(l => l.FileLength) + companionFiles.Sum(f => f.Length);
        MemoryBound = PlanResources.MemoryBound(tensors, options);
    }

    /// <summary>The output folder (full path).</summary>
    public string OutputPath { get; }

    public PipelineOptions Options { get; }

    /// <summary>The tensors in state-dict order.</summary>
    public IReadOnlyList<PlannedTensor> Tensors { get; }

    /// <summary>Which tensors go in which safetensors file.</summary>
    public ShardPlan Shards { get; }

    /// <summary>The header and data offsets of each file of <see cref="Shards"/>, in the same order.</summary>
    public IReadOnlyList<SafetensorsLayout> Layouts { get; }

    /// <summary>The other files of the output: the shard index (when sharded), then those the caller gave.</summary>
    public IReadOnlyList<CompanionFile> CompanionFiles { get; }

    /// <summary>Every file of the output, weights first.</summary>
    public IEnumerable<string> FileNames => Shards.Shards.Select(s => s.FileName).Concat(CompanionFiles.Select(f => f.Name));

    /// <summary>Bytes of tensor data (the index's <c>total_size</c>).</summary>
    public long TensorBytes => Shards.TotalSize;

    /// <summary>Elements over all tensors (the index's <c>total_parameters</c>).</summary>
    public long ParameterCount { get; }

    /// <summary>The size of every output file together.</summary>
    public long OutputBytes { get; }

    /// <summary>Free space the output needs: <see cref="OutputBytes"/> plus <see cref="FreeSpaceMargin"/>.</summary>
    public long RequiredFreeBytes => OutputBytes + FreeSpaceMargin;

    /// <summary>Free bytes on the output's file system when the plan was made; null when unknown.</summary>
    public long? FreeBytes { get; }

    /// <summary>Most bytes of chunk buffers in flight: the memory limit, or less when the chunks are smaller.</summary>
    public long MemoryBound { get; }

    /// <summary>Plans writing tensors as a Hugging Face folder with companion files beside them.</summary>
    /// <param name="outputPath">The output folder.</param>
    /// <param name="tensorsInStateDictOrder">The tensors, in the order shards are filled (see <see cref="StateDictOrder"/>).</param>
    /// <param name="companionFiles">config.json, tokenizer files...; the shard index is added here.</param>
    /// <param name="options">Shard size, memory, threads, --force and the free-space probe.</param>
    /// <param name="inputs">Files and folders the run reads: the output may neither lie inside one nor contain one.</param>
    /// <exception cref="PipelineException">The output overlaps an input, or a tensor cannot be chunked within the memory limit.</exception>
    public static PipelinePlan Create(
        string outputPath, IReadOnlyList<OutputTensor> tensorsInStateDictOrder, IReadOnlyList<CompanionFile> companionFiles,
        IReadOnlyList<string> inputs, PipelineOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        ArgumentNullException.ThrowIfNull(tensorsInStateDictOrder);
        ArgumentNullException.ThrowIfNull(companionFiles);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputPath));
        InputOverlap.Check(output, inputs);

        var shards = ShardPlan.Create(tensorsInStateDictOrder.Select(t => t.Info), options.MaxShardSize);
        var layouts = shards.Shards.Select(s => SafetensorsLayout.Create(s.Tensors)).ToList();
        var files = new List<CompanionFile>();
        if (shards.IsSharded)
            files.Add(CompanionFile.FromBytes(SafetensorsIndex.FileName, shards.CreateIndex(tensorsInStateDictOrder.Sum(t => t.ElementCount)).ToJsonBytes()));
        files.AddRange(companionFiles);
        CheckUniqueNames(shards, files);

        var layoutByFile = shards.Shards.Select((s, i) => (s.FileName, Layout: layouts[i])).ToDictionary(p => p.FileName, p => p.Layout, StringComparer.Ordinal);
        var planned = new List<PlannedTensor>(tensorsInStateDictOrder.Count);
        foreach (var tensor in tensorsInStateDictOrder)
        {
            var file = shards.WeightMap[tensor.Name];
            var layout = layoutByFile[file];
            var (rows, buffer) = ChunkSizing.For(tensor, options.MaxMemory, options.Threads);
            planned.Add(new PlannedTensor(tensor, file, layout.DataStart + layout.GetDataOffset(tensor.Name), rows, buffer));
        }
        return new PipelinePlan(output, options, planned, shards, layouts, files, options.FreeSpaceProbe(output));
    }

    /// <exception cref="PipelineException">The file system has less free space than <see cref="RequiredFreeBytes"/>.</exception>
    public void CheckFreeSpace() => PlanResources.CheckFreeSpace(OutputPath, OutputBytes, FreeBytes);

    /// <summary>A human-readable summary: files, tensors, sizes, memory bound and free space.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"output: {OutputPath}");
        text.AppendLine(inv, $"tensors: {Tensors.Count} ({ParameterCount:N0} parameters), {ByteSize.Format(TensorBytes)} of tensor data");
        text.AppendLine(inv, $"files: {Shards.Shards.Count + CompanionFiles.Count}, {ByteSize.Format(OutputBytes)} in all (max shard size {ByteSize.Format(Options.MaxShardSize)})");
        foreach (var (shard, layout) in Shards.Shards.Zip(Layouts))
            text.AppendLine(inv, $"  {shard.FileName}  {shard.Tensors.Count} tensors, {ByteSize.Format(layout.FileLength)}");
        foreach (var file in CompanionFiles)
            text.AppendLine(inv, $"  {file.Name}  {ByteSize.Format(file.Length)}{(file.SourcePath is null ? "" : "  (copied)")}");
        PlanResources.Describe(text, Tensors, Options, MemoryBound, FreeBytes, RequiredFreeBytes);
        foreach (var t in Tensors)
            text.AppendLine(inv, $"  {t.Tensor.Name}  {t.Tensor.Info.ShapeText}  {t.Tensor.Producer.Description}  -> {t.FileName}");
        return text.ToString();
    }

    private static void CheckUniqueNames(ShardPlan shards, List<CompanionFile> files)
    {
        var names = new HashSet<string>(shards.Shards.Select(s => s.FileName), StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            if (!names.Add(file.Name))
                throw new ArgumentException($"two output files are named '{file.Name}'", nameof(files));
        }
    }
}
