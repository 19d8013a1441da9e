using System.Text.Json.Nodes;
using Thaw.Models;
using Thaw.Formats.Json;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// config.json of a quantized model: the source config unchanged (key order, numbers as written) with the
/// <c>quantization_config</c> transformers' <c>BitsAndBytesConfig.to_dict()</c> writes, keys sorted as
/// <c>save_pretrained</c> sorts them, inserted where sorting puts it.
/// </summary>
public static class BnbQuantizationConfigJson
{
    public const string Key = "quantization_config";

    /// <summary>The quantization_config object (every key BitsAndBytesConfig writes, with its defaults).</summary>
    public static JsonObject Create(BnbQuantizationSettings settings, IReadOnlyList<string>? skipModules)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var fourBit = settings.IsFourBit;
        return new JsonObject
        {
            ["_load_in_4bit"] = fourBit,
            ["_load_in_8bit"] = !fourBit,
            ["bnb_4bit_compute_dtype"] = DTypes.TorchName(settings.ComputeDType),
            ["bnb_4bit_quant_storage"] = "uint8",
            // BitsAndBytesConfig's default quant type is fp4, which an int8 config keeps.
            ["bnb_4bit_quant_type"] = settings.Format == BnbQuantizeFormat.Nf4 ? "nf4" : "fp4",
            ["bnb_4bit_use_double_quant"] = settings.DoubleQuant,
            ["llm_int8_enable_fp32_cpu_offload"] = false,
            ["llm_int8_has_fp16_weight"] = false,
            ["llm_int8_skip_modules"] = skipModules is null ? null : new JsonArray([.. skipModules.Select(m => (JsonNode?)JsonValue.Create(m))]),
            // Parsed from text so that it is written as Python writes the float: 6.0, not 6.
            ["llm_int8_threshold"] = JsonNode.Parse("6.0"),
            ["load_in_4bit"] = fourBit,
            ["load_in_8bit"] = !fourBit,
            ["quant_method"] = QuantizationConfig.BitsandbytesMethod,
        };
    }

    /// <summary>The config.json bytes of the quantized model, formatted as transformers writes them.</summary>
    public static byte[] Rewrite(ModelConfig config, BnbQuantizationSettings settings, IReadOnlyList<string>? skipModules)
    {
        ArgumentNullException.ThrowIfNull(config);
        var json = (JsonObject)config.Raw.DeepClone();
        json.Remove(Key);
        var index = 0;
        foreach (var (existing, _) in json)
        {
            if (string.CompareOrdinal(existing, Key) > 0)
                break;
            index++;
        }
        json.Insert(index, Key, Create(settings, skipModules));
        return PythonJson.ToBytes(json);
    }
}
