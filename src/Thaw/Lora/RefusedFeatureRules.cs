using System.Text.Json.Nodes;

namespace Thaw.Lora;

/// <summary>
/// The config features whose merge Thaw refuses (spec/peft-lora.md §10): other PEFT methods, formats whose math
/// differs, and initialisations that changed the base weight in ways that cannot be reproduced here.
/// </summary>
internal static class RefusedFeatureRules
{
    private static readonly string[] NotReproducibleInits = ["corda", "lora_ga", "loftq", "pissa", "olora"];

    public static IReadOnlyList<RefusedFeature> Find(AdapterConfig config)
    {
        var raw = config.Raw;
        var refused = new List<RefusedFeature>();
        if (!string.Equals(config.PeftType, "LORA", StringComparison.Ordinal))
            refused.Add(new("peft_type", $"peft_type is {config.PeftType}; only LORA adapters are additive low-rank deltas Thaw can merge"));
        if (IsSet(raw["enable_lora"]))
            refused.Add(new("enable_lora", "pre-2023 MergedLinear adapter (enable_lora); re-train or convert it with a current PEFT"));
        if (IsSet(raw["layer_replication"]))
            refused.Add(new("layer_replication", "replicated layers share weights, so their deltas cannot be merged into one tensor"));
        if (IsTrue(raw["use_qalora"]))
            refused.Add(new("use_qalora", "QALoRA (GPTQ-only) has no merge"));
        if (IsSet(raw["alora_invocation_tokens"]))
            refused.Add(new("alora_invocation_tokens", "activated LoRA is applied per token at run time and has no merge"));
        if (IsSet(raw["arrow_config"]))
            refused.Add(new("arrow_config", "Arrow routes between LoRAs at run time and has no merge"));
        if (IsSet(raw["use_bdlora"]))
            refused.Add(new("use_bdlora", "block-diagonal LoRA layouts are not supported"));
        if (IsSet(raw["kasa_config"]))
            refused.Add(new("kasa_config", "KaSA truncates the base weight by SVD at load time"));
        var init = config.InitLoraWeights;
        if (NotReproducibleInits.Any(m => string.Equals(init, m, StringComparison.Ordinal)) || init.StartsWith("pissa_niter_", StringComparison.Ordinal))
            refused.Add(new("init_lora_weights", $"init_lora_weights = {init} changed the base weight at initialisation; convert the adapter with PEFT's path_initial_model_for_weight_conversion first"));
        return refused;
    }

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.TryGetValue(out bool b) && b;

    // A feature counts as set when the key holds anything but null, false, an empty list or an empty object.
    private static bool IsSet(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        _ => true,
    };
}
