using System.Globalization;
using System.Text.Json.Nodes;

namespace Thaw.Lora;

/// <summary>
/// Rank and alpha for a training checkpoint that has no adapter_config.json (<c>--lora-r</c>, <c>--lora-alpha</c>,
/// <c>--rslora</c>): the config PEFT would have written with them, targeting whatever modules the tensors name.
/// </summary>
public sealed record RawCheckpointSettings(int R, double Alpha, bool UseRsLora)
{
    /// <exception cref="LoraException">The rank is not positive or alpha is not a finite number.</exception>
    public AdapterConfig ToConfig(string path)
    {
        if (R <= 0 || !double.IsFinite(Alpha))
            throw new LoraException(LoraError.BadConfig, path, null, $"--lora-r {R} / --lora-alpha {Alpha}: the rank must be positive and alpha a finite number");
        // Parsed from text, as adapter_config.json would be, so the values have the JSON kinds the config reader expects.
        var json = string.Create(CultureInfo.InvariantCulture,
            $$"""{"peft_type": "LORA", "r": {{R}}, "lora_alpha": {{Alpha:R}}, "use_rslora": {{(UseRsLora ? "true" : "false")}}}""");
        return AdapterConfig.Parse(path, JsonNode.Parse(json)!.AsObject());
    }
}
