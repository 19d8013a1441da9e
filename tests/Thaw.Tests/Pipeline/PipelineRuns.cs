using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.Dequantization;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

/// <summary>Runs the library's dequantize pipeline the way the CLI does.</summary>
internal static class PipelineRuns
{
    public static OutputSummary Dequantize(string model, string output, DType? dtype = null, PipelineOptions? options = null,
        IProgress<PipelineProgress>? progress = null)
    {
        using var opened = HfModel.Open(model);
        var plan = Dequantizer.Plan(opened, output, dtype, options ?? new PipelineOptions());
        return HfFolderOutput.Write(plan, progress);
    }

    /// <summary>Every file under a folder (relative path → bytes).</summary>
    public static SortedDictionary<string, byte[]> ReadFolder(string folder) =>
        new(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(folder, p), File.ReadAllBytes), StringComparer.Ordinal);

    /// <summary>Copies a fixture folder into <paramref name="destination"/> (for tests that must not risk the fixtures).</summary>
    public static string CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        return destination;
    }
}
