using Thaw.Formats.Gguf;

namespace Thaw.Analysis;

/// <summary>
/// The HF module of each GGUF weight name imatrix files use (blk.N.attn_q.weight → model.layers.N.self_attn.q_proj):
/// the inverse of <see cref="GgufTensorNames"/> over a model's own modules. llama.cpp's Q/K row permutation does not
/// touch input columns, so importances map one to one.
/// </summary>
public static class GgufModuleNames
{
    /// <summary>GGUF weight name → HF module, for the modules given (names without a GGUF name are left out).</summary>
    /// <param name="modules">HF module names.</param>
    /// <param name="modelType">config.json model_type: qwen2 names as qwen2, everything else as llama.</param>
    public static IReadOnlyDictionary<string, string> Inverse(IEnumerable<string> modules, string? modelType)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var architecture = modelType == "qwen2" ? "qwen2" : "llama";
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            try
            {
                if (GgufTensorNames.FromHuggingFace(module + ".weight", architecture) is { } gguf)
                    result.TryAdd(gguf, module);
            }
            catch (GgufException)
            {
                // No GGUF name: an imatrix cannot name this module.
            }
        }
        return result;
    }
}
