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
    /// <summary>The largest legacy .dat file read whole (a 405B model's imatrix is under 100 MB).</summary>
    public const long MaxDatBytes = 1L << 30;

    /// <summary>Reads a .dat or GGUF imatrix (told apart by the GGUF magic).</summary>
    /// <exception cref="AnalysisException">The file is neither (<see cref="AnalysisError.BadImatrixFile"/>).</exception>
    public static ImportanceMatrix Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (Formats.Gguf.GgufFile.HasMagic(path))
                return ImatrixGgufReader.Read(path);
            return ImatrixDatReader.Read(path, IO.BoundedFile.TryReadAll(path, MaxDatBytes, out var length)
                ?? throw new AnalysisException(AnalysisError.BadImatrixFile, path, null,
                    $"the file is {length} bytes, more than the {MaxDatBytes} an imatrix .dat can be; is this really llama-imatrix output?"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnalysisException(AnalysisError.BadImatrixFile, path, null, $"cannot read the imatrix file ({e.Message})", e);
        }
    }

    /// <summary>
    /// The importances by HF module, checked against the model: every entry must name one of <paramref name="inFeatures"/>'
    /// modules and hold its in_features values.
    /// </summary>
    /// <param name="inFeatures">in_features by HF module name, for every Linear module the model has.</param>
    /// <param name="modelType">config.json model_type (chooses the GGUF naming).</param>
    /// <exception cref="AnalysisException">An entry names no module of the model, or its size differs.</exception>
    public IReadOnlyDictionary<string, float[]> ForModules(IReadOnlyDictionary<string, long> inFeatures, string? modelType)
    {
        ArgumentNullException.ThrowIfNull(inFeatures);
        var modules = GgufModuleNames.Inverse(inFeatures.Keys, modelType);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, values) in Entries)
        {
            if (!modules.TryGetValue(name, out var module))
            {
                AnalysisException.Throw(AnalysisError.ImatrixNameMismatch, Path, name,
                    "the imatrix names a weight this model does not have (its GGUF name matches no module); was the imatrix made for another model?");
            }
            var columns = inFeatures[module];
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
