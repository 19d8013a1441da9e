using System.CommandLine;
using Thaw.Analysis;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Quantization.Bnb;

namespace Thaw.Cli.Commands;

/// <summary>The options analyze shares with quantize --dynamic, and the analysis they ask for.</summary>
internal sealed class DynamicOptions
{
    private readonly Option<string> type = new("--type") { Description = "nf4 or fp4: the 4-bit type to measure.", DefaultValueFactory = _ => "nf4" };
    private readonly Option<int?> blocksize = new("--blocksize") { Description = "Elements per 4-bit absmax block (default 64).", HelpName = "N" };
    private readonly Option<bool> doubleQuant = new("--double-quant") { Description = "Measure with double-quantized block maxima, as --double-quant writes them." };

    public DynamicOptions() => type.AcceptOnlyFromAmong("nf4", "fp4");

    public Option<string?> Imatrix { get; } = new("--imatrix") { Description = "llama.cpp importance matrix (.dat or GGUF) of this model: weight errors by input activation.", HelpName = "FILE" };

    public Option<string> Budget { get; } = new("--budget") { Description = "Extra memory over the all-4-bit model for modules kept in 16 bits (default 10%).", HelpName = "PERCENT" };

    public Option<string[]> Skip { get; } = new("--skip") { Description = "Keep a module in 16 bits (repeatable).", HelpName = "MODULE" };

    /// <summary>The analysis, the dynamic choice, and the --skip list that realizes it (the user's names, then the chosen modules).</summary>
    public sealed record Run(ModelAnalysis Analysis, DynamicChoice Choice, IReadOnlyList<string> SkipModules);

    /// <summary>Adds every option (quantize adds its own --type, --blocksize, --double-quant and --skip: pass false).</summary>
    public void AddTo(Command command, bool quantizerOptions = true)
    {
        if (quantizerOptions)
        {
            command.Options.Add(type);
            command.Options.Add(blocksize);
            command.Options.Add(doubleQuant);
            command.Options.Add(Skip);
        }
        command.Options.Add(Imatrix);
        command.Options.Add(Budget);
    }

    /// <summary>Analyzes with this command's own quantizer options.</summary>
    public Run Analyze(ParseResult result, HfModel model, int threads, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var settings = new AnalysisSettings(
            BnbQuantizationSettings.ParseFormat(result.GetValue(type)!) == BnbQuantizeFormat.Fp4 ? BnbQuantType.Fp4 : BnbQuantType.Nf4,
            result.GetValue(blocksize) ?? BnbQuantizationSettings.DefaultBlocksize,
            result.GetValue(doubleQuant));
        return Analyze(result, model, settings, result.GetValue(Skip) ?? [], threads, raiseDefaultBudget: true, progress, cancellationToken);
    }

    /// <summary>
    /// Analyzes with the given quantizer settings. Without --budget, <paramref name="raiseDefaultBudget"/> (analyze)
    /// raises the default budget to what the forced modules need instead of failing.
    /// </summary>
    public Run Analyze(ParseResult result, HfModel model, AnalysisSettings settings, IReadOnlyList<string> skips, int threads, bool raiseDefaultBudget = false,
        IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var imatrix = result.GetValue(Imatrix) is { } path ? ImportanceMatrix.Read(path) : null;
        var analysis = ModelAnalyzer.Analyze(model, settings, imatrix, threads, progress, cancellationToken);
        var budget = result.GetValue(Budget) is { } text ? DynamicSelection.ParseBudget(text)
            : raiseDefaultBudget ? Math.Max(DynamicSelection.DefaultBudget, DynamicSelection.ForcedFraction(analysis, skips))
            : DynamicSelection.DefaultBudget;
        var choice = DynamicSelection.Choose(analysis, budget, skips);
        return new Run(analysis, choice, [.. skips.Concat(choice.KeptModules).Distinct(StringComparer.Ordinal)]);
    }
}
