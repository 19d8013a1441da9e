namespace Thaw.Analysis;

/// <summary>
/// A llama.cpp importance matrix: per weight (by GGUF name), the mean of x_j² over the calibration tokens for every
/// input column j, the weights llama-quantize gives each column's error.
/// </summary>
/// <param name="Path">The file it was read from.</param>
/// <param name="Format">"dat" (legacy) or "gguf".</param>
/// <param name="Entries">Importance per input column, by GGUF weight name, in file order.</param>
/// <param name="Datasets">The calibration files named in the file (may be empty).</param>
/// <param name="ChunkCount">Chunks of calibration text the statistics cover (0 when unknown).</param>
public sealed record ImportanceMatrix(string Path, string Format, IReadOnlyDictionary<string, float[]> Entries, IReadOnlyList<string> Datasets, int ChunkCount)
{
    private static ReadOnlySpan<byte> GgufMagic => "GGUF"u8;

    /// <summary>Reads a .dat or GGUF imatrix (told apart by the GGUF magic).</summary>
    /// <exception cref="AnalysisException">The file is neither (<see cref="AnalysisError.BadImatrixFile"/>).</exception>
    public static ImportanceMatrix Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnalysisException(AnalysisError.BadImatrixFile, path, null, $"cannot read the imatrix file ({e.Message})", e);
        }
        return bytes.AsSpan().StartsWith(GgufMagic) ? ImatrixGgufReader.Read(path, bytes) : ImatrixDatReader.Read(path, bytes);
    }

    /// <summary>
    /// The importances by HF module, checked against the model: every entry must name one of <paramref name="inFeatures"/>'
    /// modules and hold its in_features values.
    /// </summary>
    /// <param name="inFeatures">in_features by HF module name, for every Linear module the model has.</param>
    /// <exception cref="AnalysisException">An entry names no module of the model, or its size differs.</exception>
    public IReadOnlyDictionary<string, float[]> ForModules(IReadOnlyDictionary<string, long> inFeatures)
    {
        ArgumentNullException.ThrowIfNull(inFeatures);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, values) in Entries)
        {
            var module = GgufModuleNames.ToHfModule(name);
            long columns = 0;
            if (module is null || !inFeatures.TryGetValue(module, out columns))
            {
                AnalysisException.Throw(AnalysisError.ImatrixNameMismatch, Path, name,
                    module is null
                        ? "the imatrix names a tensor Thaw cannot map to a Hugging Face module; this imatrix was made for another architecture"
                        : $"the imatrix names '{module}', which this model does not have; was the imatrix made for another model?");
            }
            if (values.Length != columns)
            {
                AnalysisException.Throw(AnalysisError.ImatrixSizeMismatch, Path, name,
                    $"the imatrix holds {values.Length} importances but '{module}' has {columns} input features; the imatrix was made for another model (or holds per-expert values, which Thaw does not read)");
            }
            result[module] = values;
        }
        return result;
    }
}
