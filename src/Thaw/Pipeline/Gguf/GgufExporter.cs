using System.Text;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Models;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Merge;

namespace Thaw.Pipeline.Gguf;

/// <summary>
/// Plans a llama.cpp GGUF file from a model, merged with adapters or not, in one pass: each tensor's float32 rows
/// (decoded, dequantized or merged) permuted where llama's rotary layout needs it and encoded to its ggml type,
/// with the metadata llama.cpp's converter writes (spec/gguf.md §2-§4). No intermediate file.
/// </summary>
public static class GgufExporter
{
    /// <exception cref="GgufException">An architecture, tensor, type or tokenizer that cannot be written.</exception>
    /// <exception cref="ThawException">A tensor cannot be read, or the output overlaps an input.</exception>
    public static GgufPlan Plan(MergedModel merged, GgufExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ArgumentNullException.ThrowIfNull(request);
        var model = merged.Target;
        var configPath = Path.Combine(model.Location.Path, HfModel.ConfigFileName);
        var architecture = GgufArchitecture.For(model.Config, model.Location.Path);
        // The config as the merge leaves it (a resized vocabulary, an untied lm_head).
        var config = ModelConfig.Parse(Encoding.UTF8.GetString(ConfigRewriter.Rewrite(model.Config!, Tensors.DType.F32, merged.ConfigFields)), configPath);
        var output = Path.GetFullPath(request.OutputPath);
        InputOverlap.Check(output, merged.Inputs);

        var layers = config.NumHiddenLayers ?? 0;
        var heads = config.NumAttentionHeads ?? 0;
        var kvHeads = config.NumKeyValueHeads ?? heads;
        var rope = GgufRope.For(config, architecture.Name, config.HeadDim ?? 0, configPath);
        var named = merged.Tensors
            .Select(t => (Tensor: t, GgufName: GgufTensorNames.FromHuggingFace(t.Name, architecture.Name)))
            .Where(t => t.GgufName is not null)
            .OrderBy(t => t.Tensor.Name, StringComparer.Ordinal)
            .ToList();
        var is70B = GgufOutputTypes.IsLlamaCpp70B(architecture.Name, layers, heads, kvHeads);
        var hasOutput = named.Any(t => t.GgufName == "output.weight");
        var notes = new List<string>();
        var planned = new List<GgufPlannedTensor>();
        if (rope.Frequencies is { } frequencies)
        {
            planned.Add(new(GgufRope.FrequenciesTensor, [frequencies.LongLength], GgmlType.F32,
                new GgufRowProducer(new ArrayRowSource(GgufRope.FrequenciesTensor, frequencies), GgmlType.F32, 0), frequencies.LongLength));
        }
        foreach (var (tensor, ggufName) in named)
        {
            var dimensions = tensor.Shape.Reverse().ToList();
            var isOutput = ggufName == "output.weight" || (!hasOutput && ggufName == "token_embd.weight");
            var type = GgufOutputTypes.TensorType(request.Type, ggufName!, dimensions, layers, isOutput, is70B);
            var values = tensor.Values();
            var rowsPerHead = architecture.PermutesQueryKey ? RowsPerHead(ggufName!, tensor.Shape[0], heads, kvHeads) : 0;
            planned.Add(new(ggufName!, dimensions, type, new GgufRowProducer(values, type, rowsPerHead), tensor.Shape.Aggregate(1L, (a, b) => a * b)));
        }
        if (!hasOutput)
            notes.Add("the model ties lm_head to the embedding, so the file has no output.weight; llama.cpp uses token_embd.weight for both");

        var embeddingRows = named.FirstOrDefault(t => t.GgufName == "token_embd.weight").Tensor?.Shape[0]
            ?? throw new GgufException(GgufError.MissingKey, model.Location.Path, null, "the model has no token embedding, so its vocabulary size is unknown");
        var tokenizer = request.Tokenizer(new GgufTokenizerInput(merged.TokenizerFolders, config, embeddingRows));
        var name = request.Name ?? GgufModelNaming.Title(Path.GetFileName(Path.TrimEndingDirectorySeparator(model.Location.Path)));
        var metadata = GgufModelMetadata.Build(config, architecture, name, planned.Sum(p => p.Elements), GgufOutputTypes.FileType(request.Type), rope, tokenizer, configPath);
        return GgufPlan.Create(output, request.Options, metadata, planned, notes);
    }

    // llama's q rows are n_head heads, k rows n_head_kv heads (spec/gguf.md §3.2).
    internal static int RowsPerHead(string ggufName, long rows, int heads, int kvHeads)
    {
        var parts = ggufName.Split('.');
        if (parts.Length != 4 || parts[0] != "blk" || parts[2] is not ("attn_q" or "attn_k"))
            return 0;
        var headCount = parts[2] == "attn_q" ? heads : kvHeads;
        if (headCount <= 0 || rows % headCount != 0 || rows / headCount % 2 != 0)
        {
            GgufException.Throw(GgufError.InvalidShape, null, ggufName,
                $"{rows} rows are not {headCount} heads of an even size, so the rotary permutation cannot be applied; the config's head counts do not fit the weights");
        }
        return (int)(rows / headCount);
    }
}
