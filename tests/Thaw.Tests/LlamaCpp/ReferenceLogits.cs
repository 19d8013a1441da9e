using System.Runtime.InteropServices;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Tests.LlamaCpp;

/// <summary>The A7 reference logits (tests/fixtures/reference-logits.safetensors): the last position of each prompt.</summary>
internal static class ReferenceLogits
{
    public const int Vocabulary = 32000;
    private const string File = "reference-logits.safetensors";

    /// <summary>The ids of the two llama32k prompts.</summary>
    public static IReadOnlyList<int[]> Prompts { get; } = [Ids(0), Ids(1)];

    /// <summary>A variant's logits, one row of <see cref="Vocabulary"/> per prompt.</summary>
    public static float[][] Of(string variant)
    {
        var values = MemoryMarshal.Cast<byte, float>(Read(variant, DType.F32)).ToArray();
        Assert.Equal(Prompts.Count * Vocabulary, values.Length);
        return [.. Enumerable.Range(0, Prompts.Count).Select(p => values[(p * Vocabulary)..((p + 1) * Vocabulary)])];
    }

    /// <summary>The largest absolute difference between two sets of logits of the same shape.</summary>
    public static double MaxAbsDifference(float[][] actual, float[][] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var p = 0; p < expected.Length; p++)
        {
            Assert.Equal(expected[p].Length, actual[p].Length);
            for (var i = 0; i < expected[p].Length; i++)
                max = Math.Max(max, Math.Abs((double)actual[p][i] - expected[p][i]));
        }
        return max;
    }

    private static int[] Ids(int prompt) =>
        [.. MemoryMarshal.Cast<byte, long>(Read($"input_ids.llama32k.{prompt}", DType.I64)).ToArray().Select(id => checked((int)id))];

    private static byte[] Read(string name, DType dtype)
    {
        using var file = SafetensorsFile.Open(Fixtures.Path(File));
        var tensor = file.Tensors.Single(t => t.Name == name);
        Assert.Equal(dtype, tensor.DType);
        return file.ReadAll(tensor);
    }
}
