using System.CommandLine;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Pipeline;
using Thaw.Pipeline.Gguf;
using Thaw.Tensors;

namespace Thaw.Cli.Commands;

/// <summary><c>--gguf-type</c> and <c>--name</c>: how a GGUF output is written.</summary>
internal sealed class GgufOptions
{
    private readonly Option<string?> type = new("--gguf-type")
    {
        Description = "GGUF tensor type: f32, f16, bf16, q8_0, q4_0, q6_k, or q4_k_m (llama-quantize's mix). Default as llama.cpp's converter: bf16 for a bf16 model, else f16 (merge: --dtype when given). Norms and biases are always f32.",
        HelpName = "TYPE",
    };

    private readonly Option<string?> name = new("--name") { Description = "general.name of the GGUF file (default: the model folder's name as a title, as llama.cpp's converter does)." };

    public GgufOptions() => type.AcceptOnlyFromAmong([.. GgufOutputTypes.Names]);

    public void AddTo(Command command)
    {
        command.Options.Add(type);
        command.Options.Add(name);
    }

    /// <summary>True when the command line set a GGUF-only option.</summary>
    public bool AnyGiven(System.CommandLine.Parsing.CommandResult result) => result.GetValue(type) is not null || result.GetValue(name) is not null;

    /// <summary>
    /// The export request. Without --gguf-type: the asked dtype when there is one (merge --dtype); otherwise the
    /// converter's "auto": bf16 for a bf16 model, f16 for anything else (an f32 model too).
    /// </summary>
    public GgufExportRequest Read(ParseResult result, string outputPath, PipelineOptions options, DType modelDType, DType? askedDType = null) => new()
    {
        OutputPath = outputPath,
        Type = result.GetValue(type) is { } chosen && GgufOutputTypes.TryParse(chosen, out var parsed) ? parsed : (askedDType ?? modelDType) switch
        {
            DType.BF16 => GgufOutputType.BF16,
            DType.F32 when askedDType is not null => GgufOutputType.F32,
            _ => GgufOutputType.F16,
        },
        Options = options,
        Name = result.GetValue(name),
    };

    /// <summary>True for an output path that names a GGUF file.</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
}
