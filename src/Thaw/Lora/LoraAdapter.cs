using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Thaw.Formats;
using Thaw.Tensors;

namespace Thaw.Lora;

/// <summary>
/// A PEFT LoRA adapter folder: adapter_config.json and adapter_model.safetensors (or .bin), with every tensor key
/// normalized (<see cref="AdapterKeys"/>) and grouped into modules. Structural problems (unknown keys, missing halves,
/// empty tensors, A and B disagreeing on the rank) throw; matching to a base model is the diagnosis's job.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    /// <summary>The weight file names PEFT writes, in the order PEFT prefers them.</summary>
    public static readonly IReadOnlyList<string> WeightFileNames = ["adapter_model.safetensors", "adapter_model.bin"];

    private readonly IReadOnlyList<ITensorFile> files;
    private readonly Dictionary<string, ITensorFile> fileByTensor;

    private LoraAdapter(string folder, AdapterConfig config, IReadOnlyList<ITensorFile> files, Dictionary<string, ITensorFile> fileByTensor,
        IReadOnlyList<LoraModule> modules, IReadOnlyList<AdapterReplacement> replacements, IReadOnlyList<AdapterTrainableTokens> trainableTokens,
        IReadOnlyList<TensorInfo> ignored, bool isRawCheckpoint)
    {
        Folder = folder;
        Config = config;
        this.files = files;
        this.fileByTensor = fileByTensor;
        Modules = modules;
        Replacements = replacements;
        TrainableTokens = trainableTokens;
        IgnoredTensors = ignored;
        IsRawCheckpoint = isRawCheckpoint;
    }

    /// <summary>The adapter folder, or the checkpoint file or folder.</summary>
    public string Folder { get; }

    public AdapterConfig Config { get; }

    /// <summary>The first weight file that was read.</summary>
    public string WeightsPath => files[0].Path;

    /// <summary>LoRA modules in the order their first tensor appears in the file.</summary>
    public IReadOnlyList<LoraModule> Modules { get; }

    public IReadOnlyList<AdapterReplacement> Replacements { get; }

    public IReadOnlyList<AdapterTrainableTokens> TrainableTokens { get; }

    /// <summary>
    /// Tensors PEFT never loads: stale <c>.original_module.</c> copies; in a raw training checkpoint also the frozen
    /// base weights it carries (<c>.base_layer.</c>, packed 4-bit tables, every tensor that is not LoRA or a trained copy).
    /// </summary>
    public IReadOnlyList<TensorInfo> IgnoredTensors { get; }

    /// <summary>True when the tensors came from a training checkpoint with rank and alpha given by hand.</summary>
    public bool IsRawCheckpoint { get; }

    /// <summary>Reads a PEFT adapter folder.</summary>
    /// <exception cref="LoraException">The folder is not an adapter, or its tensors are not a well-formed LoRA.</exception>
    public static LoraAdapter Load(string folder) => Load(folder, null);

    /// <summary>
    /// Reads a PEFT adapter folder or, with <paramref name="raw"/>, a training checkpoint without adapter_config.json:
    /// a state dict of a PeftModel (or DeepSpeed's consolidated fp32 weights) as one file, a folder with
    /// adapter_model.* or model.safetensors / pytorch_model.bin, or a sharded folder with its index.
    /// </summary>
    /// <exception cref="LoraException">Not an adapter, settings that do not fit the input, or tensors that are not a well-formed LoRA.</exception>
    public static LoraAdapter Load(string path, RawCheckpointSettings? raw)
    {
        ArgumentNullException.ThrowIfNull(path);
        var hasConfig = Directory.Exists(path) && File.Exists(Path.Combine(path, AdapterConfig.FileName));
        if (hasConfig && raw is not null)
            throw new LoraException(LoraError.BadConfig, path, null,
                "has adapter_config.json, which sets rank and alpha; --lora-r/--lora-alpha/--rslora are only for training checkpoints without one");
        if (!hasConfig && raw is null)
            throw new LoraException(LoraError.NotAnAdapter, path, null,
                Directory.Exists(path) || File.Exists(path)
                    ? "has no adapter_config.json; for a raw training checkpoint (a PeftModel state dict, DeepSpeed's consolidated weights) pass --lora-r and --lora-alpha (and --rslora if it was trained with it)"
                    : "does not exist");
        var config = hasConfig ? AdapterConfig.Load(path) : raw!.ToConfig(path);
        var paths = hasConfig ? [PeftWeights(path)] : CheckpointWeights(path);
        var files = new List<ITensorFile>();
        try
        {
            foreach (var weights in paths)
                files.Add(TensorFiles.Open(weights));
            return Build(path, config, files, isRaw: !hasConfig);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    private static string PeftWeights(string folder) =>
        WeightFileNames.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists)
            ?? throw new LoraException(LoraError.NotAnAdapter, folder, null,
                $"adapter folder has adapter_config.json but no weights ({string.Join(" or ", WeightFileNames)})");

    private static IReadOnlyList<string> CheckpointWeights(string path)
    {
        if (File.Exists(path))
            return [path];
        if (!Directory.Exists(path))
            throw new LoraException(LoraError.NotAnAdapter, path, null, "does not exist");
        if (WeightFileNames.Select(f => Path.Combine(path, f)).FirstOrDefault(File.Exists) is { } adapterWeights)
            return [adapterWeights];
        return Models.WeightFiles.Find(path).Files;
    }

    private static LoraAdapter Build(string folder, AdapterConfig config, List<ITensorFile> files, bool isRaw)
    {
        var parts = new Dictionary<string, Dictionary<AdapterTensorRole, TensorInfo>>(StringComparer.Ordinal);
        var order = new List<string>();
        var replacements = new List<AdapterReplacement>();
        var tokens = new List<AdapterTrainableTokens>();
        var ignored = new List<TensorInfo>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var fileByTensor = new Dictionary<string, ITensorFile>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var tensor in file.Tensors)
            {
                if (!fileByTensor.TryAdd(tensor.Name, file))
                    Throw(LoraError.DuplicateKey, file.Path, tensor.Name, $"tensor is also in {fileByTensor[tensor.Name].Path}; remove the stale shard");
                var normalized = AdapterKeys.Normalize(tensor.Name);
                var key = AdapterKeys.Classify(normalized);
                // A training checkpoint carries the frozen base; only LoRA tensors and trained copies are the adapter.
                if (isRaw && (key is null || (key.Role == AdapterTensorRole.Replacement && !AdapterKeys.IsModulesToSaveKey(tensor.Name))))
                {
                    ignored.Add(tensor);
                    continue;
                }
                if (key is null)
                    Throw(LoraError.UnrecognizedKey, file.Path, tensor.Name,
                        $"key (normalized '{normalized}') is none of PEFT's LoRA forms (lora_A/lora_B, lora_embedding_A/B, lora_magnitude_vector, full module tensors); it may be another PEFT method or a training checkpoint Thaw does not know");
                if (!seen.TryAdd(normalized, tensor.Name))
                    Throw(LoraError.DuplicateKey, file.Path, tensor.Name, $"names the same tensor '{normalized}' as '{seen[normalized]}' once adapter names and wrapper prefixes are removed; the file holds two adapters or two copies");
                if (key.Role == AdapterTensorRole.Ignored)
                {
                    ignored.Add(tensor);
                    continue;
                }
                if (tensor.ElementCount == 0)
                    Throw(LoraError.EmptyTensor, file.Path, tensor.Name,
                        $"shape {tensor.ShapeText} has no elements: saved under DeepSpeed ZeRO-3 without gathering the parameters; save again with stage3_gather_16bit_weights_on_model_save");
                if (!FloatConversions.CanConvert(tensor.DType, DType.F32))
                    Throw(LoraError.NotFloat, file.Path, tensor.Name, $"dtype {DTypes.SafetensorsName(tensor.DType)} is not floating point; adapter weights are f32, f16 or bf16");
                switch (key.Role)
                {
                    case AdapterTensorRole.Replacement:
                        replacements.Add(new(key.Module, tensor));
                        break;
                    case AdapterTensorRole.TrainableTokens:
                        tokens.Add(new(key.Module, tensor));
                        break;
                    default:
                        if (!parts.TryGetValue(key.Module, out var roles))
                        {
                            parts[key.Module] = roles = [];
                            order.Add(key.Module);
                        }
                        roles[key.Role] = tensor;
                        break;
                }
            }
        }
        if (isRaw && order.Count == 0)
            Throw(LoraError.NotAnAdapter, files[0].Path, null, $"checkpoint holds {ignored.Count} tensors but no LoRA tensors (lora_A/lora_B); it is not a LoRA training checkpoint");
        var modules = order.Select(m => BuildModule(config, files[0].Path, m, parts[m])).ToList();
        return new LoraAdapter(folder, config, files, fileByTensor, modules, replacements, tokens, ignored, isRaw);
    }

    private static LoraModule BuildModule(AdapterConfig config, string path, string module, Dictionary<AdapterTensorRole, TensorInfo> roles)
    {
        var isEmbedding = roles.ContainsKey(AdapterTensorRole.EmbeddingA) || roles.ContainsKey(AdapterTensorRole.EmbeddingB);
        var isLinear = roles.ContainsKey(AdapterTensorRole.LoraA) || roles.ContainsKey(AdapterTensorRole.LoraB);
        if (isEmbedding && isLinear)
            Throw(LoraError.IncompleteModule, path, module, "module has both lora_A/lora_B and lora_embedding_A/B; a module is either a Linear or an Embedding");
        var (aRole, bRole) = isEmbedding ? (AdapterTensorRole.EmbeddingA, AdapterTensorRole.EmbeddingB) : (AdapterTensorRole.LoraA, AdapterTensorRole.LoraB);
        var a = roles.GetValueOrDefault(aRole);
        var b = roles.GetValueOrDefault(bRole);
        if (a is null || b is null)
            Throw(LoraError.IncompleteModule, path, module,
                $"module has {string.Join(", ", roles.Keys)} but needs both {aRole} and {bRole}; the file is truncated or was filtered");
        CheckShapes(path, module, isEmbedding, a, b);
        var rank = (int)a.Shape[0];
        var alpha = config.AlphaFor(module);
        roles.TryGetValue(AdapterTensorRole.Magnitude, out var magnitude);
        roles.TryGetValue(AdapterTensorRole.LoraBBias, out var bias);
        return new LoraModule(module, isEmbedding ? LoraModuleKind.Embedding : LoraModuleKind.Linear, a, b, magnitude, bias,
            rank, config.RankFor(module), alpha, config.Scaling(rank, alpha));
    }

    // Linear A [r, in, *k], B [out, r, 1...]; Embedding A [r, vocab], B [dim, r]. Both agree on r.
    private static void CheckShapes(string path, string module, bool isEmbedding, TensorInfo a, TensorInfo b)
    {
        var aOk = isEmbedding ? a.Shape.Length == 2 : a.Shape.Length >= 2;
        var bOk = isEmbedding ? b.Shape.Length == 2 : b.Shape.Length == a.Shape.Length && b.Shape.Skip(2).All(d => d == 1);
        if (!aOk || !bOk)
            Throw(LoraError.BadShape, path, module, $"A {a.ShapeText} and B {b.ShapeText} are not LoRA shapes (A [r, in], B [out, r])");
        if (a.Shape[0] != b.Shape[1])
            Throw(LoraError.BadShape, path, module, $"A {a.ShapeText} has rank {a.Shape[0]} but B {b.ShapeText} has rank {b.Shape[1]}; they must agree");
        if (a.Shape[0] > int.MaxValue)
            Throw(LoraError.BadShape, path, module, $"rank {a.Shape[0]} is larger than {int.MaxValue}");
    }

    /// <summary>Reads a whole adapter tensor as float32 (adapter tensors are small: r × features).</summary>
    public float[] ReadValues(TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ElementCount > Array.MaxLength / 4)
            Throw(LoraError.BadShape, FileOf(tensor).Path, tensor.Name, $"{tensor.ElementCount} elements is too large for an adapter tensor");
        var values = new float[tensor.ElementCount];
        ReadValues(tensor, values);
        return values;
    }

    /// <summary>Reads a whole adapter tensor as float32 into <paramref name="destination"/> (exactly its element count), a megabyte at a time.</summary>
    public void ReadValues(TensorInfo tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, tensor.ElementCount, nameof(destination));
        var file = FileOf(tensor);
        var elementSize = DTypes.ByteSize(tensor.DType);
        var chunkElements = (1 << 20) / elementSize;
        var buffer = ArrayPool<byte>.Shared.Rent(chunkElements * elementSize);
        try
        {
            for (var done = 0; done < destination.Length;)
            {
                var n = Math.Min(chunkElements, destination.Length - done);
                var bytes = buffer.AsSpan(0, n * elementSize);
                file.ReadBytes(tensor, (long)done * elementSize, bytes);
                FloatConversions.ToSingle(tensor.DType, bytes, destination.Slice(done, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads an adapter matrix transposed into <paramref name="destination"/>: the tensor as [first dimension, rest],
    /// written [rest, first dimension] (Aᵀ and Bᵀ for weights stored [in, out], and GGUF's embedding lora_a).
    /// </summary>
    public void ReadValuesTransposed(TensorInfo tensor, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNotEqual(destination.Length, tensor.ElementCount, nameof(destination));
        using var values = PooledValues.Read(this, tensor);
        var source = values.Span;
        var rows = checked((int)tensor.Shape[0]);
        var columns = source.Length / rows;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
                destination[j * rows + i] = source[i * columns + j];
        }
    }

    /// <summary>An adapter tensor as a stored tensor of its file, to read as a model tensor (replacements).</summary>
    public Models.StoredTensor Stored(TensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new(tensor, FileOf(tensor));
    }

    public void Dispose()
    {
        foreach (var file in files)
            file.Dispose();
    }

    private ITensorFile FileOf(TensorInfo tensor) =>
        fileByTensor.TryGetValue(tensor.Name, out var file) ? file : throw new ArgumentException($"'{tensor.Name}' is not a tensor of this adapter", nameof(tensor));

    [DoesNotReturn, StackTraceHidden]
    private static void Throw(LoraError reason, string path, string? tensor, string detail) =>
        throw new LoraException(reason, path, tensor, detail);
}
