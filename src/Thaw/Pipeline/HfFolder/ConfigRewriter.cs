using System.Text.Json.Nodes;
using Thaw.Formats.Json;
using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Pipeline.HfFolder;

/// <summary>
/// config.json for a model whose weights are now plain floats: <c>quantization_config</c> removed and the dtype
/// set, everything else kept in its order. transformers 5 writes the dtype as <c>dtype</c>, 4.x as
/// <c>torch_dtype</c> (and 5 still reads it); whichever keys the source has are set, at the top level and in
/// sub-configs (text_config, vision_config, ...); a config without either gets <c>torch_dtype</c>, which every
/// version reads.
/// </summary>
public static class ConfigRewriter
{
    private const string QuantizationKey = "quantization_config";
    private static readonly string[] DTypeKeys = ["dtype", "torch_dtype"];

    /// <summary>The rewritten config.json bytes, formatted as transformers writes them.</summary>
    public static byte[] Rewrite(ModelConfig config, DType dtype) => Rewrite(config, dtype, []);

    /// <summary>
    /// As <see cref="Rewrite(ModelConfig, DType)"/>, with fields a merge changes (vocab_size, tie_word_embeddings) set
    /// wherever the config has them: at the top level and in sub-configs; at the top level when nowhere.
    /// </summary>
    public static byte[] Rewrite(ModelConfig config, DType dtype, IReadOnlyList<KeyValuePair<string, JsonNode>> fields)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(fields);
        var json = (JsonObject)config.Raw.DeepClone();
        foreach (var (key, value) in fields)
            SetField(json, key, value);
        json.Remove(QuantizationKey);
        var name = DTypes.TorchName(dtype);
        if (!SetExisting(json, name, onlyTorchNames: false))
            InsertSorted(json, "torch_dtype", name);
        foreach (var (_, value) in json)
        {
            if (value is JsonObject subConfig)
                SetExisting(subConfig, name, onlyTorchNames: true);
        }
        return PythonJson.ToBytes(json);
    }

    private static void SetField(JsonObject json, string key, JsonNode value)
    {
        var found = false;
        foreach (var target in json.Select(p => p.Value).OfType<JsonObject>().Prepend(json).ToList())
        {
            if (target.ContainsKey(key))
            {
                target[key] = value.DeepClone();
                found = true;
            }
        }
        if (!found)
            json.Insert(SortedIndex(json, key), key, value.DeepClone());
    }

    // In sub-configs a "dtype" key is only taken for the model's dtype when it holds a torch dtype name.
    private static bool SetExisting(JsonObject json, string dtypeName, bool onlyTorchNames)
    {
        var found = false;
        foreach (var key in DTypeKeys)
        {
            if (!json.TryGetPropertyValue(key, out var value))
                continue;
            if (onlyTorchNames && !(value is JsonValue v && v.TryGetValue<string>(out var text) && DTypes.TryParseTorchName(text, out _)))
                continue;
            json[key] = dtypeName;
            found = true;
        }
        return found;
    }

    // Where sort_keys would put it when the config is sorted (as transformers writes it); a stable place otherwise.
    private static void InsertSorted(JsonObject json, string key, string value) => json.Insert(SortedIndex(json, key), key, value);

    private static int SortedIndex(JsonObject json, string key)
    {
        var index = 0;
        foreach (var (existing, _) in json)
        {
            if (string.CompareOrdinal(existing, key) > 0)
                break;
            index++;
        }
        return index;
    }
}
