using Thaw.Formats.Safetensors;

namespace Thaw.Models;

/// <summary>
/// Which files of a model folder hold its weights, in transformers' order of preference: model.safetensors,
/// model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json.
/// </summary>
internal sealed record WeightFiles(IReadOnlyList<string> Files, string? IndexPath, IReadOnlyDictionary<string, string>? WeightMap)
{
    public const string SafetensorsSingle = "model.safetensors";
    public const string SafetensorsIndexName = "model.safetensors.index.json";
    public const string TorchSingle = "pytorch_model.bin";
    public const string TorchIndexName = "pytorch_model.bin.index.json";

    public static WeightFiles Find(string folder)
    {
        var single = Path.Combine(folder, SafetensorsSingle);
        if (File.Exists(single))
            return new WeightFiles([single], null, null);
        var index = Path.Combine(folder, SafetensorsIndexName);
        if (File.Exists(index))
            return FromIndex(folder, index);
        single = Path.Combine(folder, TorchSingle);
        if (File.Exists(single))
            return new WeightFiles([single], null, null);
        index = Path.Combine(folder, TorchIndexName);
        if (File.Exists(index))
            return FromIndex(folder, index);
        throw NotAModel(folder);
    }

    private static WeightFiles FromIndex(string folder, string indexPath)
    {
        // The index has the same JSON layout for .safetensors and .bin shards; its loader refuses shard names
        // that are not plain file names next to it.
        SafetensorsIndex index;
        try
        {
            index = SafetensorsIndex.Load(indexPath);
        }
        catch (SafetensorsException e) when (e.Reason is SafetensorsError.InvalidIndex or SafetensorsError.UnsafeShardName)
        {
            throw new ModelException(ModelError.BadIndex, indexPath, e.TensorName, e.Detail, e);
        }
        if (index.WeightMap.Count == 0)
            ModelException.Throw(ModelError.BadIndex, indexPath, "weight_map is empty, so the index names no tensors; restore the index from the model's repository");
        var files = new List<string>(index.ShardFiles.Count);
        foreach (var shard in index.ShardFiles)
        {
            var path = Path.Combine(folder, shard);
            if (!File.Exists(path))
                ModelException.Throw(ModelError.MissingShard, indexPath,
                    $"shard '{shard}' named by weight_map does not exist in {folder}; download the missing shard");
            files.Add(path);
        }
        return new WeightFiles(files, indexPath, index.WeightMap);
    }

    private static ModelException NotAModel(string folder)
    {
        if (File.Exists(Path.Combine(folder, "adapter_config.json")))
            return new ModelException(ModelError.NotAModel, folder, null,
                "this is a PEFT adapter folder, not a model; pass it as the adapter and its base model as the base");
        var found = System.IO.Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .Where(n => n!.EndsWith(".safetensors", StringComparison.Ordinal) || n.EndsWith(".bin", StringComparison.Ordinal)
                        || n.EndsWith(".gguf", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Take(5)
            .ToList();
        var seen = found.Count == 0 ? "no weight files at all" : "only " + string.Join(", ", found);
        return new ModelException(ModelError.NotAModel, folder, null,
            $"folder has no {SafetensorsSingle}, {SafetensorsIndexName}, {TorchSingle} or {TorchIndexName} ({seen}); pass a weight file directly or a Hugging Face model folder");
    }
}
