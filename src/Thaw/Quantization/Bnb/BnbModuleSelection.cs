using Thaw.Models;
using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// Which weights of a model become bitsandbytes weights, as transformers' bnb quantizer decides: every nn.Linear (and
/// GPT-2 Conv1D) weight, that is every 2-D "&lt;module&gt;.weight" that is not an embedding, except the output embedding
/// (lm_head: <c>get_keys_to_not_convert</c>) and the modules the user skips. Biases, norms and embeddings stay as they
/// are. A skip name matches a module when its dot-separated segments occur in the module's name as a run ("lm_head",
/// "mlp.down_proj" in every layer, "model.layers.0" for a whole layer).
/// </summary>
public sealed class BnbModuleSelection
{
    private const string WeightSuffix = ".weight";

    private BnbModuleSelection(IReadOnlyList<string> quantizedWeights, IReadOnlyList<string> skippedModules, IReadOnlyList<string>? writtenSkipModules)
    {
        QuantizedWeights = quantizedWeights;
        SkippedModules = skippedModules;
        WrittenSkipModules = writtenSkipModules;
    }

    /// <summary>The weights to quantize, in name order.</summary>
    public IReadOnlyList<string> QuantizedWeights { get; }

    /// <summary>Modules that would be quantized but are skipped by the user, in name order.</summary>
    public IReadOnlyList<string> SkippedModules { get; }

    /// <summary>
    /// llm_int8_skip_modules for config.json: null when nothing is skipped (transformers then skips lm_head itself);
    /// otherwise the output embedding plus every skipped module by its full name, because an explicit list replaces
    /// transformers' defaults and its matching rules differ between versions; full names mean the same to all (4.x
    /// matches a name equal to the module's, v5 one the module's name starts or ends with). A vision-language model's
    /// names are listed in both versions' spellings (<see cref="SkipModuleAliases"/>).
    /// </summary>
    public IReadOnlyList<string>? WrittenSkipModules { get; }

    /// <exception cref="BnbQuantizeException">A skip name matches nothing in the model, or a weight to quantize is not
    /// float16, bfloat16 or float32.</exception>
    public static BnbModuleSelection Select(HfModel model, IReadOnlyList<string> skipModules)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(skipModules);
        var layouts = model.Architecture?.EmbeddingLayouts ?? [Architectures.DecoderLayout];
        var embeddings = layouts.Select(l => l.Embedding).ToHashSet(StringComparer.Ordinal);
        var outputEmbeddings = layouts.Select(l => ModuleOf(l.LmHead)).ToHashSet(StringComparer.Ordinal);

        foreach (var skip in skipModules)
        {
            if (!model.Tensors.Any(t => ContainsSegments(t.Name, skip)))
                BnbQuantizeException.Throw(BnbQuantizeError.UnknownSkipModule, model.Location.Path, null,
                    $"--skip '{skip}' names no module of this model; give a module name such as 'lm_head', 'mlp.down_proj' or 'model.layers.0'");
        }

        var quantized = new List<string>();
        var skipped = new List<string>();
        foreach (var tensor in model.Tensors)
        {
            if (!IsLinearWeight(tensor, embeddings) || outputEmbeddings.Contains(ModuleOf(tensor.Name)))
                continue;
            var module = ModuleOf(tensor.Name);
            if (skipModules.Any(skip => ContainsSegments(module, skip)))
            {
                skipped.Add(module);
                continue;
            }
            if (tensor.DType is not (DType.F16 or DType.BF16 or DType.F32))
                BnbQuantizeException.Throw(BnbQuantizeError.NonFloatWeight, tensor.StoredParts[0].FilePath, tensor.Name,
                    $"weight is {DTypes.SafetensorsName(tensor.DType)}; bitsandbytes quantizes float16, bfloat16 and float32 weights only (skip this module with --skip)");
            quantized.Add(tensor.Name);
        }
        if (quantized.Count == 0)
            BnbQuantizeException.Throw(BnbQuantizeError.NothingToQuantize, model.Location.Path, null,
                "the model has no Linear weight to quantize (2-D '.weight' tensors other than embeddings and lm_head); check the model and --skip");

        IReadOnlyList<string>? written = null;
        if (skipModules.Count > 0)
        {
            var stored = model.Tensors.Select(t => ModuleOf(t.Name)).ToHashSet(StringComparer.Ordinal);
            var heads = outputEmbeddings.Where(m => stored.Contains(m) || model.TiedEmbedding is { } tied && ModuleOf(tied.LmHead) == m);
            written = SkipModuleAliases.Expand([.. heads.Order(StringComparer.Ordinal), .. skipped], model.Architecture);
        }
        return new BnbModuleSelection(quantized, skipped, written);
    }

    /// <summary>"model.layers.0.mlp.down_proj" for "model.layers.0.mlp.down_proj.weight".</summary>
    public static string ModuleOf(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        var dot = tensorName.LastIndexOf('.');
        return dot < 0 ? "" : tensorName[..dot];
    }

    // nn.Linear weights are the 2-D ".weight" tensors; nn.Embedding weights are 2-D too, known by name.
    private static bool IsLinearWeight(ModelTensor tensor, HashSet<string> embeddings)
    {
        if (!tensor.Name.EndsWith(WeightSuffix, StringComparison.Ordinal) || tensor.Shape.Length != 2 || embeddings.Contains(tensor.Name))
            return false;
        var module = ModuleOf(tensor.Name);
        var last = module[(module.LastIndexOf('.') + 1)..];
        return !last.Contains("embed", StringComparison.OrdinalIgnoreCase) && last is not ("wte" or "wpe");
    }

    private static bool ContainsSegments(string name, string segments) =>
        ("." + name + ".").Contains("." + segments.Trim('.') + ".", StringComparison.Ordinal);
}
