using System.CommandLine;
using Thaw.Lora;

namespace Thaw.Cli.Commands;

/// <summary><c>--lora-r R --lora-alpha A [--rslora]</c>: rank and alpha for training checkpoints without adapter_config.json.</summary>
internal sealed class RawCheckpointOptions
{
    private readonly Option<int?> rank = new("--lora-r") { Description = "For a training checkpoint without adapter_config.json: the LoRA rank it was trained with.", HelpName = "R" };
    private readonly Option<double?> alpha = new("--lora-alpha") { Description = "For a training checkpoint without adapter_config.json: lora_alpha.", HelpName = "A" };
    private readonly Option<bool> rsLora = new("--rslora") { Description = "For a training checkpoint without adapter_config.json: it was trained with use_rslora (scaling alpha/sqrt(r))." };

    public void AddTo(Command command)
    {
        command.Options.Add(rank);
        command.Options.Add(alpha);
        command.Options.Add(rsLora);
        command.Validators.Add(result =>
        {
            var hasRank = result.GetValue(rank) is not null;
            var hasAlpha = result.GetValue(alpha) is not null;
            if (hasRank != hasAlpha)
                result.AddError("--lora-r and --lora-alpha go together: a training checkpoint needs both");
            if (result.GetValue(rsLora) && !hasRank)
                result.AddError("--rslora needs --lora-r and --lora-alpha");
            if (result.GetValue(rank) is <= 0)
                result.AddError("--lora-r must be a positive integer");
        });
    }

    /// <summary>The settings, or null when the adapters are PEFT folders.</summary>
    public RawCheckpointSettings? Read(ParseResult result) =>
        result.GetValue(rank) is { } r && result.GetValue(alpha) is { } a ? new RawCheckpointSettings(r, a, result.GetValue(rsLora)) : null;
}
