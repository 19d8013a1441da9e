using Thaw.Formats;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// A Hugging Face model as a set of tensors across files: a model folder (single file or sharded through its
/// index, safetensors or PyTorch .bin), a hub cache snapshot, or one bare weight file. Opening reads headers,
/// config.json and the bitsandbytes quant-state JSON only; tensor data stays on disk.
/// </summary>
public sealed class HfModel : IDisposable
{
    public const string ConfigFileName = "config.json";

    private readonly Dictionary<string, ModelTensor> _byName;
    private readonly List<ITensorFile> _files;

    private HfModel(
        ModelLocation location, ModelConfig? config, string? indexPath, List<ITensorFile> files,
        List<StoredTensor> stored, List<ModelTensor> tensors)
    {
        Location = location;
        Config = config;
        IndexPath = indexPath;
        _files = files;
        StoredTensors = stored;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        ParameterCount = tensors.Sum(t => t.ElementCount);
        TiedEmbedding = FindTiedEmbedding(config, stored);
    }

    public ModelLocation Location { get; }

    /// <summary>config.json; null for a bare weight file or a folder without one.</summary>
    public ModelConfig? Config { get; }

    public QuantizationConfig? Quantization => Config?.Quantization;

    public ArchitectureInfo? Architecture => Config?.Architecture;

    /// <summary>The shard index the weights were found through; null for a single file.</summary>
    public string? IndexPath { get; }

    /// <summary>The open weight files, shards in name order.</summary>
    public IReadOnlyList<ITensorFile> Files => _files;

    /// <summary>Every stored tensor (auxiliary quantization tensors included), sorted by name, each with its file.</summary>
    public IReadOnlyList<StoredTensor> StoredTensors { get; }

    /// <summary>The logical tensors, sorted by name: quantized weights grouped with their auxiliary tensors.</summary>
    public IReadOnlyList<ModelTensor> Tensors { get; }

    /// <summary>Sum of the logical element counts (auxiliary tensors not counted).</summary>
    public long ParameterCount { get; }

    /// <summary>Set when the config ties the output projection to the embedding and there is no lm_head tensor.</summary>
    public TiedEmbedding? TiedEmbedding { get; }

    /// <summary>What the model was read from (its folder or file, and every weight file): an output may overlap none of them.</summary>
    public IEnumerable<string> InputPaths => _files.Select(f => f.Path).Prepend(Location.Path);

    /// <summary>Locates <paramref name="pathOrHubId"/> with this process's environment and opens it.</summary>
    public static HfModel Open(string pathOrHubId) => Open(ModelLocator.FromProcess().Locate(pathOrHubId));

    public static HfModel Open(ModelLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var files = new List<ITensorFile>();
        try
        {
            ModelConfig? config = null;
            WeightFiles weights;
            if (location.Kind == ModelLocationKind.File)
            {
                weights = new WeightFiles([location.Path], null, null);
            }
            else
            {
                var configPath = Path.Combine(location.Path, ConfigFileName);
                if (File.Exists(configPath))
                    config = ModelConfig.Load(configPath);
                weights = WeightFiles.Find(location.Path);
            }

            foreach (var path in weights.Files)
                files.Add(TensorFiles.Open(path));
            var stored = CollectTensors(files, weights);
            var tensors = LogicalTensors.Build(stored, Int8OutputDType(config));
            return new HfModel(location, config, weights.IndexPath, files, stored, tensors);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelTensor? tensor) =>
        _byName.TryGetValue(name, out tensor);

    public void Dispose()
    {
        foreach (var file in _files)
            file.Dispose();
    }

    // Every tensor of every file, checked against the index: no name in two files, every indexed name where the
    // index says. Tensors a shard holds beyond the index are kept, as transformers loads whole shards.
    private static List<StoredTensor> CollectTensors(List<ITensorFile> files, WeightFiles weights)
    {
        var byName = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var info in file.Tensors)
            {
                if (byName.TryGetValue(info.Name, out var other))
                    ModelException.ThrowForTensor(ModelError.DuplicateTensor, file.Path, info.Name,
                        $"tensor is also in {Path.GetFileName(other.FilePath)}; remove the stale shard or fix the index");
                byName.Add(info.Name, new StoredTensor(info, file));
            }
        }

        if (weights.WeightMap is { } map)
        {
            foreach (var (name, shard) in map)
            {
                if (!byName.TryGetValue(name, out var found) || Path.GetFileName(found.FilePath) != shard)
                    ModelException.ThrowForTensor(ModelError.MissingTensor, Path.Combine(Path.GetDirectoryName(weights.IndexPath)!, shard), name,
                        found is null
                            ? $"the index places this tensor in {shard}, but no shard has it; the shard or the index is damaged"
                            : $"the index places this tensor in {shard}, but it is in {Path.GetFileName(found.FilePath)}; fix the index");
            }
        }

        var list = byName.Values.ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    // bitsandbytes dequantizes LLM.int8 weights to float32 and transformers then casts them to the model dtype
    // (4.x defaulted 8-bit models to float16).
    private static DType Int8OutputDType(ModelConfig? config) =>
        config?.TorchDType is DType.F16 or DType.BF16 or DType.F32 ? config.TorchDType.Value : DType.F16;

    private static TiedEmbedding? FindTiedEmbedding(ModelConfig? config, List<StoredTensor> stored)
    {
        if (config is not { TieWordEmbeddings: true })
            return null;
        var names = stored.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var layouts = config.Architecture?.EmbeddingLayouts ?? [Architectures.DecoderLayout];
        foreach (var layout in layouts)
        {
            if (names.Contains(layout.Embedding) && !names.Contains(layout.LmHead))
                return new TiedEmbedding(layout.LmHead, layout.Embedding);
        }
        return null;
    }
}
