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
        Description = "GGUF tensor type: f32, f16, bf16, q8_0, q4_0, q6_k, or q4_k_m (llama-quantize's mix). Default: the model's dtype (f32, f16 or bf16). Norms and biases are always f32.",
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

    /// <summary>The export request; <paramref name="modelDType"/> picks the type when --gguf-type is absent.</summary>
    public GgufExportRequest Read(ParseResult result, string outputPath, PipelineOptions options, DType modelDType) => new()
    {
        OutputPath = outputPath,
        Type = result.GetValue(type) is { } chosen && GgufOutputTypes.TryParse(chosen, out var parsed) ? parsed : modelDType switch
        {
            DType.F32 => GgufOutputType.F32,
            DType.F16 => GgufOutputType.F16,
            _ => GgufOutputType.BF16,
        },
        Options = options,
        Name = result.GetValue(name),
    };

    /// <summary>True for an output path that names a GGUF file.</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
}
