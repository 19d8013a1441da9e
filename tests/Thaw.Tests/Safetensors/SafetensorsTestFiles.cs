using System.Buffers.Binary;
using System.Text;

namespace Thaw.Tests.Safetensors;

/// <summary>Paths of the reference fixtures and builders for small hand-made safetensors files.</summary>
internal static class SafetensorsTestFiles
{
    /// <summary>tests/fixtures of this checkout.</summary>
    public static string FixturesRoot => Fixtures.Path("");

    public static string Fixture(string relativePath) => Fixtures.Path(relativePath);

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
}
