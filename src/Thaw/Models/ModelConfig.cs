using System.Text.Json;
using System.Text.Json.Nodes;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// config.json read the way transformers reads it: absent keys get the per-architecture defaults of
/// transformers' configuration classes (<see cref="ConfigDefaults"/>), nested text_config / vision_config of
/// vision-language models are parsed too, and the raw JSON is kept so that writers can rewrite it. For a VLM the
/// size properties describe its language model (<see cref="TextConfig"/>). An unknown model_type is parsed with
/// the common key names and no defaults, and flagged by <see cref="IsKnownModelType"/>.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>Larger config.json files are refused before reading (real ones are well under 1 MB).</summary>
    public const long MaxFileBytes = 16 << 20;

    private ModelConfig(JsonObject raw, string source)
    {
        Raw = raw;
        Source = source;
    }

    /// <summary>The JSON object as written.</summary>
    public JsonObject Raw { get; }

    /// <summary>The file it came from (or a description such as "config.json: text_config").</summary>
    public string Source { get; }

    /// <summary>model_type, possibly a default (a VLM's text_config without one).</summary>
    public string? ModelType { get; private init; }

    /// <summary>False when Thaw does not know the model type: its defaults were not applied.</summary>
    public bool IsKnownModelType { get; private init; }

    /// <summary>architectures, e.g. ["LlamaForCausalLM"]; empty when absent.</summary>
    public IReadOnlyList<string> Architectures { get; private init; } = [];

    public int? HiddenSize { get; private init; }

    public int? NumHiddenLayers { get; private init; }

    public int? NumAttentionHeads { get; private init; }

    /// <summary>num_key_value_heads; num_attention_heads when null (or absent and the architecture has no other default).</summary>
    public int? NumKeyValueHeads { get; private init; }

    /// <summary>head_dim; hidden_size / num_attention_heads when null (or absent and the architecture has no other default).</summary>
    public int? HeadDim { get; private init; }

    public int? IntermediateSize { get; private init; }

    public int? VocabSize { get; private init; }

    public int? MaxPositionEmbeddings { get; private init; }

    /// <summary>tie_word_embeddings with the architecture's default (PreTrainedConfig's true for unknown types).</summary>
    public bool TieWordEmbeddings { get; private init; }

    /// <summary>The dtype string of <c>dtype</c> (transformers 5) or <c>torch_dtype</c> (4.x); null when absent.</summary>
    public string? TorchDTypeName { get; private init; }

    /// <summary><see cref="TorchDTypeName"/> parsed; null when absent or not a torch dtype name (e.g. "auto").</summary>
    public DType? TorchDType { get; private init; }

    /// <summary>rms_norm_eps; null for models without RMSNorm (GPT-2).</summary>
    public double? RmsNormEps { get; private init; }

    /// <summary>layer_norm_epsilon of LayerNorm models (GPT-2); null otherwise.</summary>
    public double? LayerNormEps { get; private init; }

    /// <summary>The RoPE base: rope_parameters.rope_theta, else rope_scaling.rope_theta, else rope_theta, else the default.</summary>
    public double? RopeTheta { get; private init; }

    /// <summary>The language model of a VLM (text_config, or the top-level fields of 4.x qwen2_vl); null otherwise.</summary>
    public ModelConfig? TextConfig { get; private init; }

    /// <summary>The vision_config of a VLM, parsed with the common key names; null otherwise.</summary>
    public ModelConfig? VisionConfig { get; private init; }

    /// <summary>quantization_config; null for an unquantized model.</summary>
    public QuantizationConfig? Quantization { get; private init; }

    /// <summary>Architecture knowledge for <see cref="ModelType"/>; null when Thaw has none.</summary>
    public ArchitectureInfo? Architecture => Models.Architectures.Find(ModelType);

    /// <summary>True for vision-language models (a known VLM type, or any config with a vision_config).</summary>
    public bool IsVisionLanguageModel => Architecture?.IsVisionLanguageModel == true || VisionConfig is not null;

    /// <summary>Reads and parses a config.json file.</summary>
    public static ModelConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                ModelException.Throw(ModelError.BadConfig, path, $"config file is {length} bytes, more than the {MaxFileBytes} a config can be; is this really config.json?");
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException e)
        {
            throw new ModelException(ModelError.NotFound, path, null, "config file not found", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new ModelException(ModelError.BadConfig, source, null, $"not valid JSON ({e.Message}); restore the file from the model's repository", e);
        }
        if (node is not JsonObject obj)
            throw new ModelException(ModelError.BadConfig, source, null, "config is not a JSON object; restore the file from the model's repository");
        return FromJson(obj, source);
    }

    /// <summary>Interprets a config object (the top level of config.json).</summary>
    public static ModelConfig FromJson(JsonObject json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        var reader = new ConfigReader(json, source);
        var modelType = reader.String("model_type");
        var architecture = Models.Architectures.Find(modelType);
        var quantization = reader.Object("quantization_config") is { } q ? QuantizationConfig.Parse(q, source) : null;
        var textJson = reader.Object("text_config");
        var visionJson = reader.Object("vision_config");
        var isVlm = architecture?.IsVisionLanguageModel == true;
        if (!isVlm && textJson is null && visionJson is null)
            return ReadLanguageModel(json, source, "", modelType, ConfigDefaults.Find(modelType), quantization);

        var architectures = reader.StringList("architectures") ?? [];
        var (dtypeName, dtype) = ReadDType(reader);

        // A vision-language model: the sizes are its language model's.
        ModelConfig text;
        if (textJson is not null)
        {
            var textType = architecture?.TextModelTypeIsFixed == true
                ? architecture.TextModelType
                : new ConfigReader(textJson, source, "text_config.").String("model_type") ?? architecture?.TextModelType;
            text = ReadLanguageModel(textJson, source, "text_config.", textType, ConfigDefaults.Find(textType));
        }
        else if (architecture is null || architecture.TextFieldsMayBeTopLevel)
        {
            // qwen2_vl 4.x (and unknown VLMs without text_config) keep the text fields at the top level.
            var textType = architecture?.TextModelType ?? modelType;
            text = ReadLanguageModel(json, source, "", textType, ConfigDefaults.Find(textType));
        }
        else
        {
            // llava/mllama without text_config: the text config class with all its defaults.
            text = ReadLanguageModel([], source, "text_config.", architecture.TextModelType, ConfigDefaults.Find(architecture.TextModelType));
        }

        // Vision towers are not language models: their common keys are read without defaults.
        var vision = visionJson is null
            ? null
            : ReadLanguageModel(visionJson, source, "vision_config.",
                new ConfigReader(visionJson, source, "vision_config.").String("model_type") ?? architecture?.VisionModelType, null);

        // llava forwards a tied text config to the top level; an explicit top-level true ties as well.
        var tie = reader.Bool("tie_word_embeddings") == true || text.TieWordEmbeddings;
        return new ModelConfig(json, source)
        {
            ModelType = modelType,
            IsKnownModelType = architecture is not null && text.IsKnownModelType,
            Architectures = architectures,
            HiddenSize = text.HiddenSize,
            NumHiddenLayers = text.NumHiddenLayers,
            NumAttentionHeads = text.NumAttentionHeads,
            NumKeyValueHeads = text.NumKeyValueHeads,
            HeadDim = text.HeadDim,
            IntermediateSize = text.IntermediateSize,
            VocabSize = text.VocabSize,
            MaxPositionEmbeddings = text.MaxPositionEmbeddings,
            TieWordEmbeddings = tie,
            TorchDTypeName = dtypeName ?? text.TorchDTypeName,
            TorchDType = dtypeName is null ? text.TorchDType : dtype,
            RmsNormEps = text.RmsNormEps,
            LayerNormEps = text.LayerNormEps,
            RopeTheta = text.RopeTheta,
            TextConfig = text,
            VisionConfig = vision,
            Quantization = quantization,
        };
    }

    // One model's hyper-parameters; known == null applies no architecture defaults (unknown model types).
    private static ModelConfig ReadLanguageModel(
        JsonObject json, string source, string keyPrefix, string? modelType, ConfigDefaults? known,
        QuantizationConfig? quantization = null)
    {
        var reader = new ConfigReader(json, source, keyPrefix);
        var defaults = known ?? ConfigDefaults.Unknown;
        var keys = defaults.Keys;

        var hidden = Int(reader, keys.HiddenSize, defaults.HiddenSize);
        var heads = Int(reader, keys.NumAttentionHeads, defaults.NumAttentionHeads);
        var kvHeads = Int(reader, ["num_key_value_heads"], defaults.NumKeyValueHeads) ?? heads;
        var headDim = Int(reader, ["head_dim"], defaults.HeadDim) ?? (hidden / heads);
        var intermediate = Int(reader, keys.IntermediateSize, defaults.IntermediateSize)
                           ?? Multiply(defaults.IntermediateMultipleOfHidden, hidden, reader, keys.HiddenSize[^1]);
        var (dtypeName, dtype) = ReadDType(reader);

        return new ModelConfig(json, keyPrefix.Length == 0 ? source : $"{source}: {keyPrefix.TrimEnd('.')}")
        {
            ModelType = modelType,
            IsKnownModelType = known is not null,
            Architectures = reader.StringList("architectures") ?? [],
            HiddenSize = hidden,
            NumHiddenLayers = Int(reader, keys.NumHiddenLayers, defaults.NumHiddenLayers),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            IntermediateSize = intermediate,
            VocabSize = Int(reader, ["vocab_size"], defaults.VocabSize),
            MaxPositionEmbeddings = Int(reader, keys.MaxPositionEmbeddings, defaults.MaxPositionEmbeddings),
            TieWordEmbeddings = reader.Bool("tie_word_embeddings") ?? defaults.TieWordEmbeddings,
            TorchDTypeName = dtypeName,
            TorchDType = dtype,
            RmsNormEps = reader.IsPresent("rms_norm_eps") ? reader.PositiveNumber("rms_norm_eps") : defaults.RmsNormEps,
            LayerNormEps = reader.IsPresent("layer_norm_epsilon") ? reader.PositiveNumber("layer_norm_epsilon") : defaults.LayerNormEps,
            RopeTheta = ReadRopeTheta(reader, source, keyPrefix) ?? defaults.RopeTheta,
            Quantization = quantization,
        };
    }

    private static int? Multiply(int? factor, int? value, ConfigReader reader, string key)
    {
        if (factor is null || value is null)
            return null;
        var product = (long)factor.Value * value.Value;
        if (product > int.MaxValue)
            throw reader.Bad(key, value.Value, $"at most {int.MaxValue / factor.Value} ({factor} times it is the MLP width)");
        return (int)product;
    }

    // Absent: the default; present but null: null (the caller derives it); otherwise a positive integer.
    private static int? Int(ConfigReader reader, string[] keys, int? fallback) =>
        reader.FirstPresent(keys) is { } key ? reader.PositiveInt(key) : fallback;

    private static (string? Name, DType? DType) ReadDType(ConfigReader reader)
    {
        var key = reader.FirstPresent("dtype", "torch_dtype");
        if (key is null || reader.String(key) is not { } name)
            return (null, null);
        return (name, DTypes.TryParseTorchName(name, out var dtype) ? dtype : null);
    }

    private static double? ReadRopeTheta(ConfigReader reader, string source, string keyPrefix)
    {
        foreach (var key in (ReadOnlySpan<string>)["rope_parameters", "rope_scaling"])
        {
            if (reader.Object(key) is not { } parameters)
                continue;
            var nested = new ConfigReader(parameters, source, $"{keyPrefix}{key}.");
            if (nested.PositiveNumber("rope_theta") is { } theta)
                return theta;
            // Per-layer-type parameters (Gemma 3 style): the full-attention layers' base.
            if (nested.Object("full_attention") is { } full
                && new ConfigReader(full, source, $"{keyPrefix}{key}.full_attention.").PositiveNumber("rope_theta") is { } fullTheta)
                return fullTheta;
        }
        return reader.PositiveNumber("rope_theta");
    }
}
