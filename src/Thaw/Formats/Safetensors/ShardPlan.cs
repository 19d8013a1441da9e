using System.Globalization;
using Thaw.Tensors;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// Splits a checkpoint's tensors over files exactly as huggingface_hub's
/// <c>split_state_dict_into_shards_factory</c> does (what transformers' <c>save_pretrained</c> uses): tensors are
/// taken in state-dict order; one larger than the limit becomes its own shard at once while the shard being filled
/// stays open; otherwise, when it would push the open shard over the limit, that shard is closed and a new one
/// started. No bin-packing. One shard is named <c>model.safetensors</c> and needs no index; otherwise
/// <c>model-00001-of-0000N.safetensors</c>.
/// </summary>
public sealed class ShardPlan
{
    /// <summary>The name of a single-file checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    private ShardPlan(IReadOnlyList<SafetensorsShard> shards)
    {
        Shards = shards;
        TotalSize = shards.Sum(s => s.DataLength);
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            foreach (var tensor in shard.Tensors)
                weightMap.Add(tensor.Name, shard.FileName);
        }
        WeightMap = weightMap;
    }

    /// <summary>The files, in order, each with its tensors in state-dict order.</summary>
    public IReadOnlyList<SafetensorsShard> Shards { get; }

    /// <summary>True when there is more than one file (and so an index).</summary>
    public bool IsSharded => Shards.Count > 1;

    /// <summary>Sum of the tensors' byte lengths: the index's <c>metadata.total_size</c>.</summary>
    public long TotalSize { get; }

    /// <summary>Tensor name → shard file name: the index's <c>weight_map</c>.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>
    /// Plans the shards for <paramref name="tensorsInStateDictOrder"/> (for transformers models: module
    /// registration order) with at most <paramref name="maxShardSize"/> bytes of tensor data per file, except for
    /// tensors that alone exceed it. Sizes are the tensors' byte lengths (transformers counts storage bytes, the
    /// same for tensors that own their storage). No tensors gives one empty <c>model.safetensors</c>.
    /// </summary>
    public static ShardPlan Create(IEnumerable<TensorInfo> tensorsInStateDictOrder, long maxShardSize)
    {
        ArgumentNullException.ThrowIfNull(tensorsInStateDictOrder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxShardSize);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var groups = new List<List<TensorInfo>>();
        var current = new List<TensorInfo>();
        long currentSize = 0;
        foreach (var tensor in tensorsInStateDictOrder)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"tensor '{tensor.Name}' is listed twice", nameof(tensorsInStateDictOrder));
            if (tensor.ByteLength > maxShardSize)
            {
                groups.Add([tensor]);
                continue;
            }
            if (tensor.ByteLength > maxShardSize - currentSize)
            {
                groups.Add(current);
                current = [];
                currentSize = 0;
            }
            current.Add(tensor);
            currentSize += tensor.ByteLength;
        }
        if (current.Count > 0 || groups.Count == 0)
            groups.Add(current);

        var shards = groups.Count == 1
            ? [new SafetensorsShard(SingleFileName, groups[0])]
            : groups.Select((g, i) => new SafetensorsShard(ShardFileName(i + 1, groups.Count), g)).ToList();
        return new ShardPlan(shards);
    }

    /// <summary>"model-00002-of-00004.safetensors" (5 digits, more when needed, as Python's :05d).</summary>
    public static string ShardFileName(int number, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(number, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, count);
        return string.Create(CultureInfo.InvariantCulture, $"model-{number:D5}-of-{count:D5}.safetensors");
    }

    /// <summary>The index for this plan (write it only when <see cref="IsSharded"/>).</summary>
    /// <param name="totalParameters">transformers v5 also records the parameter count; null leaves it out.</param>
    public SafetensorsIndex CreateIndex(long? totalParameters = null) => new(WeightMap, TotalSize, totalParameters);
}
