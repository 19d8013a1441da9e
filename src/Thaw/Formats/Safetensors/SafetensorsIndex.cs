using System.Text.Json;
using System.Text.Json.Nodes;
using Thaw.Formats.Json;
using Thaw.IO;

namespace Thaw.Formats.Safetensors;

/// <summary>
/// <c>model.safetensors.index.json</c>: which shard file holds each tensor of a sharded checkpoint, plus
/// <c>metadata.total_size</c> (and, from transformers v5, <c>total_parameters</c>). Reads any index a HF tool
/// wrote, refusing shard names that would leave the folder; writes exactly what transformers writes
/// (<c>json.dumps(index, indent=2, sort_keys=True) + "\n"</c>).
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>The index's file name.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Index files are small (about 100 bytes a tensor); anything larger than this is not one.</summary>
    public const long MaxFileLength = 100_000_000;

    private const string Hint = "the index is corrupt; re-download it";

    /// <summary>Builds an index to write; validates the shard names.</summary>
    public SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize, long? totalParameters = null)
    {
        ArgumentNullException.ThrowIfNull(weightMap);
        if (totalSize < 0 || totalParameters < 0)
            throw new ArgumentOutOfRangeException(totalSize < 0 ? nameof(totalSize) : nameof(totalParameters), "sizes cannot be negative");
        foreach (var (tensor, file) in weightMap)
            CheckShardName(file, tensor, null);
        WeightMap = new Dictionary<string, string>(weightMap, StringComparer.Ordinal);
        TotalSize = totalSize;
        TotalParameters = totalParameters;
        ShardFiles = [.. weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>Tensor name → shard file name (a bare file name in the index's folder).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard files, in name order.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary><c>metadata.total_size</c>: bytes of tensor data over all shards; null when absent.</summary>
    public long? TotalSize { get; }

    /// <summary><c>metadata.total_parameters</c> (transformers v5); null when absent.</summary>
    public long? TotalParameters { get; }

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="SafetensorsException">Not valid JSON of the index's shape, or an unsafe shard name.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxFileLength)
            Fail(path, $"the file has {stream.Length} bytes, above the {MaxFileLength}-byte limit for an index; it is not an index file");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Parse(bytes, path);
    }

    /// <summary>Parses index JSON; <paramref name="path"/> only names the source in errors.</summary>
    public static SafetensorsIndex Parse(ReadOnlySpan<byte> json, string path)
    {
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        long? totalSize = null, totalParameters = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                Fail(path, "the index must be a JSON object with a \"weight_map\"");
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var sawWeightMap = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                if (!keys.Add(key))
                    Fail(path, $"the index has two \"{key}\" entries");
                reader.Read();
                switch (key)
                {
                    case "weight_map":
                        sawWeightMap = true;
                        ReadWeightMap(ref reader, weightMap, path);
                        break;
                    case "metadata":
                        (totalSize, totalParameters) = ReadMetadata(ref reader, path);
                        break;
                    default:
                        // Tools add their own top-level keys; transformers reads only these two.
                        reader.Skip();
                        break;
                }
            }
            if (reader.Read())
                Fail(path, "unexpected JSON after the index object");
            if (!sawWeightMap)
                Fail(path, "the index has no \"weight_map\"");
        }
        catch (JsonException e)
        {
            Fail(path, $"the index is not valid JSON ({e.Message.TrimEnd('.')})", e);
        }
        catch (InvalidOperationException e)
        {
            Fail(path, $"the index holds a string that is not valid Unicode ({e.Message.TrimEnd('.')})", e);
        }
        foreach (var (tensor, file) in weightMap)
            CheckShardName(file, tensor, path);
        return new SafetensorsIndex(weightMap, totalSize, totalParameters);
    }

    /// <summary>The index as transformers writes it: 2-space indent, keys sorted, ASCII-only, final newline.</summary>
    public byte[] ToJsonBytes()
    {
        var metadata = new JsonObject();
        if (TotalParameters is { } parameters)
            metadata["total_parameters"] = parameters;
        if (TotalSize is { } size)
            metadata["total_size"] = size;
        var weightMap = new JsonObject();
        foreach (var (tensor, file) in WeightMap.OrderBy(p => p.Key, CodePointComparer.Instance))
            weightMap[tensor] = file;
        return PythonJson.ToBytes(new JsonObject { ["metadata"] = metadata, ["weight_map"] = weightMap });
    }

    /// <summary>Writes the index atomically to <paramref name="path"/>.</summary>
    public void Save(string path, bool overwrite = false) => AtomicOutput.WriteAllBytes(path, ToJsonBytes(), overwrite);

    private static void ReadWeightMap(ref Utf8JsonReader reader, Dictionary<string, string> weightMap, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            Fail(path, "\"weight_map\" must be an object mapping tensor names to shard file names");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var tensor = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                Fail(path, $"\"weight_map\" entry '{tensor}' is not a file name string", tensor: tensor);
            if (!weightMap.TryAdd(tensor, reader.GetString()!))
            {
                SafetensorsException.Throw(SafetensorsError.DuplicateTensor, path, tensor,
                    $"\"weight_map\" lists this tensor twice; {Hint}");
            }
        }
        if (weightMap.Count == 0)
            Fail(path, "\"weight_map\" is empty, so the checkpoint has no tensors");
    }

    private static (long? TotalSize, long? TotalParameters) ReadMetadata(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return (null, null);
        if (reader.TokenType != JsonTokenType.StartObject)
            Fail(path, "\"metadata\" must be an object");
        long? totalSize = null, totalParameters = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "total_size":
                    totalSize = ReadCount(ref reader, key, path);
                    break;
                case "total_parameters":
                    totalParameters = ReadCount(ref reader, key, path);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return (totalSize, totalParameters);
    }

    /// <summary>A non-negative whole number; some older tools wrote it as a float such as 4157760.0.</summary>
    private static long ReadCount(ref Utf8JsonReader reader, string key, string path)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt64(out var whole) && whole >= 0)
                return whole;
            if (reader.TryGetDouble(out var real) && real >= 0 && real < long.MaxValue && real == Math.Floor(real))
                return (long)real;
        }
        Fail(path, $"\"metadata.{key}\" must be a non-negative whole number");
        return 0;
    }

    private static void CheckShardName(string file, string tensor, string? path)
    {
        // A shard is a file next to the index: nothing that could point elsewhere or fail to name a file.
        var unsafeName = string.IsNullOrEmpty(file) || file.Contains('/', StringComparison.Ordinal)
            || file.Contains('\\', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)
            || file.Contains(':', StringComparison.Ordinal) || file.Any(char.IsControl) || file == ".";
        if (unsafeName)
        {
            SafetensorsException.Throw(SafetensorsError.UnsafeShardName, path, tensor,
                $"shard file name \"{file}\" is not a plain file name in the index's folder (no '/', '\\', '..', ':' or control characters); the index is corrupt or malicious");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string path, string detail, Exception? inner = null, string? tensor = null) =>
        SafetensorsException.Throw(SafetensorsError.InvalidIndex, path, tensor, $"{detail}; {Hint}", inner);
}
