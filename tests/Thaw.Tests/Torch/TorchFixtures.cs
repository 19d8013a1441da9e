using System.Collections.Immutable;
using System.Text.Json;
using Thaw.Tensors;

namespace Thaw.Tests.Torch;

/// <summary>
/// The checkpoints in tests/fixtures/torch (written by torch.save, see its README) and expected.json, torch's own
/// description of every tensor in them.
/// </summary>
internal static class TorchFixtures
{
    private static readonly Lazy<JsonDocument> Expected = new(() => JsonDocument.Parse(File.ReadAllText(Path("expected.json"))));

    public static string Path(string file) => Fixtures.Path(System.IO.Path.Combine("torch", file));

    public sealed record ExpectedTensor(string Name, DType DType, ImmutableArray<long> Shape, byte[] Bytes);

    /// <summary>Tensors in the order their data lies in the file, as make_fixtures.py recorded it from torch.</summary>
    public static IReadOnlyList<ExpectedTensor> ExpectedTensors(string file)
    {
        var entry = Expected.Value.RootElement.GetProperty(file);
        var tensors = entry.GetProperty("tensors");
        return entry.GetProperty("order").EnumerateArray().Select(n =>
        {
            var name = n.GetString()!;
            var t = tensors.GetProperty(name);
            Assert.True(DTypes.TryParseTorchName(t.GetProperty("dtype").GetString(), out var dtype));
            var shape = t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToImmutableArray();
            return new ExpectedTensor(name, dtype.Value, shape, Convert.FromHexString(t.GetProperty("hex").GetString()!));
        }).ToList();
    }
}
