namespace Thaw.Formats.Torch.Zip;

/// <summary>
/// One stored (uncompressed) zip entry: its name and where its bytes lie in the file. The local header is kept
/// so overlapping entries can be detected.
/// </summary>
internal sealed record ZipEntry(string Name, long LocalHeaderOffset, long DataOffset, long Length)
{
    /// <summary>First byte after the entry's data.</summary>
    public long DataEnd => DataOffset + Length;
}
