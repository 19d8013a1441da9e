using System.Globalization;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Conversion;
using Thaw.Lora;
using Thaw.Models;

namespace Thaw.Pipeline.Gguf;

/// <summary>
/// A PEFT LoRA adapter as a llama.cpp GGUF adapter, as convert_lora_to_gguf.py writes it (spec/gguf.md §6.1):
/// per adapted weight <c>&lt;gguf name&gt;.lora_a</c> (A, ne [in, r]) then <c>.lora_b</c> (B, ne [r, out], rows of q/k
/// permuted like the base weights), one <c>adapter.lora.alpha</c>. llama.cpp scales every module by alpha / r
/// (r from B's shape), so scalings that one alpha cannot express — rsLoRA, alpha_pattern, rank_pattern — are folded
/// into alpha where one value fits every module, else into B of the modules that differ, and said so.
/// </summary>
public static class GgufLoraExporter
{
    /// <exception cref="LoraException">The adapter does not apply cleanly to the base, or uses what GGUF adapters cannot hold.</exception>
    /// <exception cref="GgufException">An unsupported architecture or type.</exception>
    public static GgufPlan Plan(LoraAdapter adapter, HfModel baseModel, string baseName, GgufExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Type is not (GgufOutputType.F32 or GgufOutputType.F16 or GgufOutputType.BF16 or GgufOutputType.Q8_0))
            Refuse(adapter, $"--gguf-type {request.Type.ToString().ToLowerInvariant()}: llama.cpp adapters are f32, f16, bf16 or q8_0 (convert_lora_to_gguf.py's types)");
        CheckContent(adapter, baseModel, baseName);
        var architecture = GgufArchitecture.For(baseModel.Config, baseModel.Location.Path);
        var config = baseModel.Config!;
        var heads = config.NumAttentionHeads ?? 0;
        var kvHeads = config.NumKeyValueHeads ?? heads;
        var output = Path.GetFullPath(request.OutputPath);
        InputOverlap.Check(output, [adapter.Folder, adapter.WeightsPath]);

        var modules = adapter.Modules
            .Select(m => (Module: m, Base: BaseTensorMatch.Find(baseModel, m.Path + ".weight")!.Tensor.Name))
            .OrderBy(m => m.Module.Path, StringComparer.Ordinal)
            .ToList();
        // One alpha for the file: the first module's s·r; modules whose s·r differ get B scaled by the ratio.
        var alpha = modules[0].Module.Scaling * modules[0].Module.Rank;
        var notes = new List<string>();
        var planned = new List<GgufPlannedTensor>();
        foreach (var (module, baseTensor) in modules)
        {
            var ggufBase = GgufTensorNames.FromHuggingFace(baseTensor, architecture.Name)
                ?? throw new GgufException(GgufError.UnmappedTensor, adapter.WeightsPath, baseTensor, "the converter drops this base tensor, so an adapter on it cannot be written");
            var r = module.Rank;
            var a = new float[module.A.ElementCount];
            if (module.Kind == LoraModuleKind.Embedding)
                adapter.ReadValuesTransposed(module.A, a);
            else
                adapter.ReadValues(module.A, a);
            var b = adapter.ReadValues(module.B);
            var factor = module.Scaling * r / alpha;
            if (factor != 1)
            {
                for (var i = 0; i < b.Length; i++)
                    b[i] = (float)(b[i] * factor);
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{module.Path}: scaling {module.Scaling:G6} at r={r} is not alpha/r of the file's alpha {alpha:G6}, so its lora_b is multiplied by {factor:G6}"));
            }
            // lora_b is B (out rows of r); lora_a is A (r rows of in), or for an embedding Aᵀ (vocab rows of r).
            var embedding = module.Kind == LoraModuleKind.Embedding;
            var rowsPerHead = !embedding && architecture.PermutesQueryKey ? GgufExporter.RowsPerHead(ggufBase, module.OutFeatures, heads, kvHeads) : 0;
            Add(planned, $"{ggufBase}.lora_a", a, embedding ? r : (int)module.InFeatures, request.Type, 0);
            Add(planned, $"{ggufBase}.lora_b", b, r, request.Type, rowsPerHead);
        }
        if (adapter.Config.UseRsLora)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"rsLoRA: adapter.lora.alpha is alpha·sqrt(r) = {alpha:G6}, so llama.cpp's alpha/r gives PEFT's alpha/sqrt(r)"));

        var metadata = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.architecture", GgufValue.FromString(architecture.Name)),
            new("general.type", GgufValue.FromString("adapter")),
            new("adapter.type", GgufValue.FromString("lora")),
            new("general.name", GgufValue.FromString(request.Name ?? GgufModelNaming.Title(FolderName(adapter.Folder)))),
            new("general.base_model.count", GgufValue.FromUInt32(1)),
            new("general.base_model.0.name", GgufValue.FromString(GgufModelNaming.Title(FolderName(baseModel.Location.Path)))),
            new("adapter.lora.alpha", GgufValue.FromFloat32((float)alpha)),
            new("general.quantization_version", GgufValue.FromUInt32(GgufModelMetadata.QuantizationVersion)),
        };
        return GgufPlan.Create(output, request.Options, metadata, planned, notes);
    }

    private static void Add(List<GgufPlannedTensor> planned, string name, float[] rows, int rowLength, GgufOutputType type, int rowsPerHead)
    {
        // 2-D tensors get the chosen type; q8_0 falls back to f16 when a row is not whole 32-value blocks (r < 32).
        var ggml = type switch
        {
            GgufOutputType.F32 => GgmlType.F32,
            GgufOutputType.F16 => GgmlType.F16,
            GgufOutputType.BF16 => GgmlType.BF16,
            _ => rowLength % GgmlTypes.BlockSize(GgmlType.Q8_0) == 0 ? GgmlType.Q8_0 : GgmlType.F16,
        };
        var producer = new GgufRowProducer(new ArrayRowSource(name, rows, rowLength), ggml, rowsPerHead);
        planned.Add(new(name, [rowLength, rows.Length / rowLength], ggml, producer, rows.LongLength));
    }

    // GGUF adapters hold only lora_a/lora_b pairs that llama.cpp adds as scale·B·A to an existing base tensor.
    private static void CheckContent(LoraAdapter adapter, HfModel baseModel, string baseName)
    {
        if (adapter.Modules.Count == 0)
            Refuse(adapter, "has no LoRA modules");
        if (adapter.Replacements.Count > 0 || adapter.TrainableTokens.Count > 0)
            Refuse(adapter, $"carries full tensors ({string.Join(", ", adapter.Replacements.Select(r => r.TargetTensor).Concat(adapter.TrainableTokens.Select(t => t.Module)).Take(3))}) that a GGUF adapter cannot hold (llama.cpp applies only lora_a/lora_b); merge it into the base instead: thaw merge --out model.gguf");
        if (adapter.Modules.FirstOrDefault(m => m.Magnitude is not null || m.BBias is not null) is { } special)
            Refuse(adapter, $"module '{special.Path}' uses {(special.Magnitude is not null ? "DoRA" : "lora_bias")}, which llama.cpp adapters cannot apply; merge it into the base instead: thaw merge --out model.gguf");
        if (adapter.Modules.FirstOrDefault(m => m.A.Shape.Length != 2) is { } conv)
            Refuse(adapter, $"module '{conv.Path}' is a convolution LoRA, which GGUF adapters cannot hold");
        AdapterDiagnosis.Diagnose(adapter, baseModel, baseName, baseNorms: false).ThrowIfErrors(adapter.Folder, "nothing was written");
        if (adapter.Modules.FirstOrDefault(m => BaseTensorMatch.Find(baseModel, m.Path + ".weight")!.ViaTiedEmbedding) is { } tied)
            Refuse(adapter, $"module '{tied.Path}' adapts lm_head, which this base ties to the embedding: llama.cpp has no separate output tensor to apply it to; merge it instead: thaw merge --out model.gguf");
    }

    private static string FolderName(string path) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));

    private static void Refuse(LoraAdapter adapter, string detail) => throw new LoraException(LoraError.BadMergeRequest, adapter.Folder, null, detail);
}
