using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Thaw.Lora;

/// <summary>
/// A PEFT <c>adapter_config.json</c>: the fields that decide what a merge does (spec/peft-lora.md §1.3).
/// Unknown keys are kept in <see cref="Raw"/> and otherwise ignored, as PEFT does.
/// </summary>
public sealed class AdapterConfig
{
    public const string FileName = "adapter_config.json";

    private AdapterConfig(string path, JsonObject raw) { Path = path; Raw = raw; }

    /// <summary>Where the config was read from.</summary>
    public string Path { get; }

    /// <summary>The whole JSON object as read.</summary>
    public JsonObject Raw { get; }

    public string PeftType { get; private init; } = "";
    public int R { get; private init; } = 8;
    public double LoraAlpha { get; private init; } = 8;
    public bool UseRsLora { get; private init; }
    public bool UseDora { get; private init; }
    public bool FanInFanOut { get; private init; }
    public string Bias { get; private init; } = "none";
    public bool LoraBias { get; private init; }
    public string? BaseModelNameOrPath { get; private init; }
    public string? TaskType { get; private init; }

    /// <summary>A list of module names, or null when <see cref="TargetModulesRegex"/> or nothing is given.</summary>
    public IReadOnlyList<string>? TargetModules { get; private init; }

    /// <summary>A Python regex matched with fullmatch, when target_modules is a string.</summary>
    public string? TargetModulesRegex { get; private init; }

    /// <summary>exclude_modules as a list (same matching as target_modules, applied first); null when absent or a regex.</summary>
    public IReadOnlyList<string>? ExcludeModules { get; private init; }

    /// <summary>exclude_modules as a fullmatch regex, when it is a string.</summary>
    public string? ExcludeModulesRegex { get; private init; }

    /// <summary>True when layers_to_transform restricts targeting to some layer indices.</summary>
    public bool HasLayersToTransform { get; private init; }

    public IReadOnlyList<string>? ModulesToSave { get; private init; }

    /// <summary>rank_pattern in JSON order (order decides which pattern wins).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> RankPattern { get; private init; } = [];

    /// <summary>alpha_pattern in JSON order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> AlphaPattern { get; private init; } = [];

    /// <summary>init_lora_weights as written (true/false or a method name).</summary>
    public string InitLoraWeights { get; private init; } = "true";

    /// <summary>
    /// trainable_token_indices: token ids whose embedding rows were trained, by module name (a suffix of the module
    /// path); a plain list applies to the input embedding and is stored under the empty name. Null when absent.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>>? TrainableTokenIndices { get; private init; }

    /// <summary>Features present in the config whose merge Thaw refuses, each with the reason.</summary>
    public IReadOnlyList<RefusedFeature> RefusedFeatures => refusedFeatures ??= RefusedFeatureRules.Find(this);

    private IReadOnlyList<RefusedFeature>? refusedFeatures;

    /// <summary>Scaling for a module of rank r and alpha: alpha/r, or alpha/sqrt(r) with rsLoRA.</summary>
    public double Scaling(int r, double alpha) => UseRsLora ? alpha / Math.Sqrt(r) : alpha / r;

    /// <summary>The rank PEFT uses for a module path: the first matching rank_pattern key, else r.</summary>
    public int RankFor(string modulePath) => FirstPatternMatch(RankPattern, modulePath, R);

    /// <summary>The alpha PEFT uses for a module path: the first matching alpha_pattern key, else lora_alpha.</summary>
    public double AlphaFor(string modulePath) => FirstPatternMatch(AlphaPattern, modulePath, LoraAlpha);

    // PEFT's get_pattern_key: the first key k (in dict order) with re.match(rf"(.*\.)?({k})$", path).
    private static T FirstPatternMatch<T>(IReadOnlyList<KeyValuePair<string, T>> patterns, string path, T fallback)
    {
        foreach (var (pattern, value) in patterns)
        {
            if (Regex.IsMatch(path, $@"\A(.*\.)?({pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
                return value;
        }
        return fallback;
    }

    /// <summary>Reads and validates adapter_config.json from a folder or a file path.</summary>
    public static AdapterConfig Load(string path)
    {
        if (Directory.Exists(path))
            path = System.IO.Path.Combine(path, FileName);
        if (!File.Exists(path))
            throw new LoraException(LoraError.NotAnAdapter, path, null, "no adapter_config.json; an adapter folder is what PEFT's save_pretrained writes");
        JsonObject raw;
        try
        {
            raw = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new LoraException(LoraError.BadConfig, path, null, "adapter_config.json is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LoraException(LoraError.BadConfig, path, null, $"adapter_config.json is not valid JSON: {e.Message}", e);
        }
        return Parse(path, raw);
    }

    /// <summary>Interprets an already parsed adapter_config.json object.</summary>
    public static AdapterConfig Parse(string path, JsonObject raw)
    {
        var reader = new ConfigFields(path, raw);
        var peftType = reader.String("peft_type") ?? throw new LoraException(LoraError.BadConfig, path, null, "adapter_config.json has no peft_type; PEFT requires it");
        var targets = raw["target_modules"];
        var excludes = raw["exclude_modules"];
        var config = new AdapterConfig(path, raw)
        {
            PeftType = peftType,
            R = reader.Int("r") ?? 8,
            LoraAlpha = reader.Number("lora_alpha") ?? 8,
            UseRsLora = reader.Bool("use_rslora") ?? false,
            UseDora = reader.Bool("use_dora") ?? false,
            FanInFanOut = reader.Bool("fan_in_fan_out") ?? false,
            Bias = reader.String("bias") ?? "none",
            LoraBias = reader.Bool("lora_bias") ?? false,
            BaseModelNameOrPath = reader.String("base_model_name_or_path"),
            TaskType = reader.String("task_type"),
            TargetModules = targets is JsonArray ? reader.StringList("target_modules") : null,
            TargetModulesRegex = targets is JsonValue ? reader.String("target_modules") : null,
            ExcludeModules = excludes is JsonArray ? reader.StringList("exclude_modules") : null,
            ExcludeModulesRegex = excludes is JsonValue ? reader.String("exclude_modules") : null,
            HasLayersToTransform = raw["layers_to_transform"] is not null,
            ModulesToSave = reader.StringList("modules_to_save"),
            RankPattern = reader.Pattern("rank_pattern", n => reader.IntValue("rank_pattern", n)),
            AlphaPattern = reader.Pattern("alpha_pattern", n => reader.NumberValue("alpha_pattern", n)),
            TrainableTokenIndices = ParseTokenIndices(path, raw["trainable_token_indices"]),
            InitLoraWeights = raw["init_lora_weights"] switch
            {
                null => "true",
                JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
                JsonValue v when v.TryGetValue(out string? s) => s,
                _ => throw new LoraException(LoraError.BadConfig, path, null, "init_lora_weights must be true, false or a method name"),
            },
        };
        if (config.R <= 0)
            throw new LoraException(LoraError.BadConfig, path, null, $"r = {config.R}; the rank must be positive");
        return config;
    }

    private static Dictionary<string, IReadOnlyList<long>>? ParseTokenIndices(string path, JsonNode? node)
    {
        static LoraException Bad(string path) =>
            new(LoraError.BadConfig, path, null, "trainable_token_indices must be a list of non-negative token ids or an object of such lists");
        static IReadOnlyList<long> Ids(string path, JsonNode? list) => list is JsonArray array
            ? array.Select(n => n is JsonValue v && v.TryGetValue(out long id) && id >= 0 ? id : throw Bad(path)).ToList()
            : throw Bad(path);
        return node switch
        {
            null => null,
            JsonArray => new() { [""] = Ids(path, node) },
            JsonObject o => o.ToDictionary(p => p.Key, p => Ids(path, p.Value), StringComparer.Ordinal),
            _ => throw Bad(path),
        };
    }
}

/// <summary>A config feature whose merge Thaw refuses.</summary>
public sealed record RefusedFeature(string Field, string Reason);
