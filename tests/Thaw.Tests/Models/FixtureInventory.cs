using System.Text.Json;
using Thaw.Tests.Safetensors;

namespace Thaw.Tests.Models;

/// <summary>
/// tests/fixtures/inventory.json, written by the fixture generator (not by Thaw): every tensor of every
/// safetensors fixture with its dtype and shape.
/// </summary>
internal static class FixtureInventory
{
    public static Dictionary<string, (string DType, long[] Shape)> Tensors(string relativeFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(SafetensorsTestFiles.Fixture("inventory.json")));
        var result = new Dictionary<string, (string, long[])>(StringComparer.Ordinal);
        foreach (var tensor in document.RootElement.GetProperty(relativeFile).GetProperty("tensors").EnumerateObject())
        {
            var dtype = tensor.Value[0].GetString()!;
            var shape = tensor.Value[1].EnumerateArray().Select(d => d.GetInt64()).ToArray();
            result.Add(tensor.Name, (dtype, shape));
        }
        return result;
    }

    /// <summary>weight_map of a sharded fixture's index, read directly from the JSON.</summary>
    public static Dictionary<string, string> WeightMap(string indexPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        return document.RootElement.GetProperty("weight_map").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }
}
