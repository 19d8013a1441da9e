using System.Text.Json.Nodes;

namespace Thaw.Models;

/// <summary>
/// config.json's quantization_config. bitsandbytes is read in full; other methods (GPTQ, AWQ, ...) are recognized
/// by name so that callers can refuse them clearly.
/// </summary>
public sealed class QuantizationConfig
{
    /// <summary>The quant_method value for bitsandbytes.</summary>
    public const string BitsandbytesMethod = "bitsandbytes";

    // transformers' QuantizationMethod values other than bitsandbytes.
    private static readonly HashSet<string> OtherKnownMethods = new(StringComparer.Ordinal)
    {
        "gptq", "awq", "aqlm", "vptq", "quanto", "eetq", "higgs", "hqq", "compressed-tensors", "fbgemm_fp8",
        "torchao", "bitnet", "spqr", "fp8", "quark", "auto-round", "mxfp4", "fp_quant", "exl2",
    };

    private QuantizationConfig(string method, BnbQuantizationConfig? bitsandbytes, JsonObject raw)
    {
        Method = method;
        Bitsandbytes = bitsandbytes;
        Raw = raw;
    }

    /// <summary>quant_method ("bitsandbytes", "gptq", ...). Old bitsandbytes configs without it get "bitsandbytes".</summary>
    public string Method { get; }

    /// <summary>The bitsandbytes settings; null for other methods.</summary>
    public BnbQuantizationConfig? Bitsandbytes { get; }

    /// <summary>The quantization_config object as written.</summary>
    public JsonObject Raw { get; }

    /// <summary>True for bitsandbytes, the only method Thaw reads.</summary>
    public bool IsSupported => Bitsandbytes is not null;

    /// <summary>True when <see cref="Method"/> is a method transformers knows (supported or not).</summary>
    public bool IsKnownMethod => IsSupported || OtherKnownMethods.Contains(Method);

    internal static QuantizationConfig Parse(JsonObject json, string source)
    {
        var reader = new ConfigReader(json, source, "quantization_config.");
        var method = reader.String("quant_method");
        if (method is null)
        {
            // transformers infers bitsandbytes from the load_in_* flags of configs written before quant_method existed.
            var legacyBnb = (reader.Bool("load_in_4bit") ?? reader.Bool("_load_in_4bit") ?? false)
                            || (reader.Bool("load_in_8bit") ?? reader.Bool("_load_in_8bit") ?? false);
            if (!legacyBnb)
                throw reader.Bad("quant_method", json["quant_method"], "the quantization method's name (the config names no method and no load_in_4bit/load_in_8bit)");
            method = BitsandbytesMethod;
        }
        var bnb = method == BitsandbytesMethod ? BnbQuantizationConfig.Parse(reader) : null;
        return new QuantizationConfig(method, bnb, json);
    }
}
