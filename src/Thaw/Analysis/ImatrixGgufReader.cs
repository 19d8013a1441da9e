using System.Runtime.InteropServices;
using Thaw.Formats.Gguf;

namespace Thaw.Analysis;

/// <summary>
/// llama.cpp's GGUF imatrix (general.type "imatrix"): per weight W an F32 tensor W.in_sum2 [n_in] (Σ x² over the
/// calibration tokens) and W.counts [1] (tokens seen); importance = in_sum2 / counts (1 where counts is 0, as
/// llama-quantize reads it). Per-expert statistics (n_mat &gt; 1) are refused.
/// </summary>
internal static class ImatrixGgufReader
{
    private const string Sum2Suffix = ".in_sum2";
    private const string CountsSuffix = ".counts";

    public static ImportanceMatrix Read(string path)
    {
        try
        {
            using var file = GgufFile.Open(path);
            var type = file.Metadata.GetStringOrNull("general.type");
            if (type != "imatrix")
                Fail(path, null, type is null
                    ? "the GGUF file has no general.type; it is a model, not an imatrix (llama-imatrix writes general.type = \"imatrix\")"
                    : $"general.type is '{type}', not 'imatrix'");
            var datasets = file.Metadata.ContainsKey("imatrix.datasets") ? file.Metadata.GetStringArray("imatrix.datasets") : [];
            var chunks = file.Metadata.GetUInt32OrNull("imatrix.chunk_count") ?? 0;

            var entries = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var sums in file.Tensors.Where(t => t.Name.EndsWith(Sum2Suffix, StringComparison.Ordinal)).OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var weight = sums.Name[..^Sum2Suffix.Length];
                if (!file.TryGetTensor(weight + CountsSuffix, out var counts))
                    Fail(path, sums.Name, $"has no '{weight}{CountsSuffix}' tensor (the token counts that turn sums into means)");
                var sumValues = Floats(file, sums);
                var countValues = Floats(file, counts);
                if (countValues.Length != 1)
                    Fail(path, sums.Name, $"holds statistics for {countValues.Length} experts; Thaw reads imatrix files of dense (non-MoE) models only");
                if (sumValues.Length != sums.RowLength)
                    Fail(path, sums.Name, $"has shape {sums.DimensionsText} for one count; expected [n_in] or [n_in, 1]");
                var importance = new float[sumValues.Length];
                for (var j = 0; j < importance.Length; j++)
                    importance[j] = countValues[0] > 0 ? sumValues[j] / countValues[0] : 1f;
                entries[weight] = importance;
            }
            if (entries.Count == 0)
                Fail(path, null, "the file holds no '<weight>.in_sum2' tensor; it is not an imatrix");
            return new ImportanceMatrix(path, "gguf", entries, datasets, checked((int)chunks));
        }
        catch (GgufException e)
        {
            throw new AnalysisException(AnalysisError.BadImatrixFile, path, e.TensorName, $"GGUF imatrix: {e.Detail}", e);
        }
    }

    private static float[] Floats(GgufFile file, GgufTensorInfo tensor)
    {
        if (tensor.Type != GgmlType.F32)
            Fail(file.Path, tensor.Name, $"has ggml type {tensor.Type}; imatrix statistics are F32");
        var values = new float[tensor.ElementCount];
        file.ReadBytes(tensor, 0, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string path, string? tensor, string detail) =>
        AnalysisException.Throw(AnalysisError.BadImatrixFile, path, tensor, $"GGUF imatrix: {detail}");
}
