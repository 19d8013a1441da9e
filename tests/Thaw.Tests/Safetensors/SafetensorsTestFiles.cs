using System.Buffers.Binary;
using System.Text;

namespace Thaw.Tests.Safetensors;

/// <summary>Paths of the reference fixtures and builders for small hand-made safetensors files.</summary>
internal static class SafetensorsTestFiles
{
    private static readonly Lazy<string> Root = new(FindFixtures);

    /// <summary>tests/fixtures of this checkout.</summary>
    public static string FixturesRoot => Root.Value;

    public static string Fixture(string relativePath) => Path.Combine(FixturesRoot, relativePath);

    /// <summary>Every .safetensors file under tests/fixtures, as paths relative to it with '/' separators.</summary>
    public static IEnumerable<string> AllFixtureSafetensors() =>
        Directory.EnumerateFiles(FixturesRoot, "*.safetensors", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(FixturesRoot, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>[u64 little-endian header length][header][data], the length taken from the header unless given.</summary>
    public static byte[] Build(byte[] header, byte[] data, ulong? headerLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Build(string header, int dataLength, ulong? headerLength = null) =>
        Build(Encoding.UTF8.GetBytes(header), [.. Enumerable.Range(0, dataLength).Select(i => (byte)(i * 7 + 3))], headerLength);

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "inventory.json")))
                return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}");
    }
}
