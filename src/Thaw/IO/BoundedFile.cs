namespace Thaw.IO;

/// <summary>Whole-file reads of files that are small by nature (tokenizer files, imatrix files), refused above a bound.</summary>
internal static class BoundedFile
{
    /// <summary>
    /// The whole file, or null when it is longer than <paramref name="maxBytes"/> (then <paramref name="length"/> says
    /// how long, for the caller's own error): a damaged or wrong file must not become a huge allocation.
    /// </summary>
    public static byte[]? TryReadAll(string path, long maxBytes, out long length)
    {
        length = new FileInfo(path).Length;
        return length > maxBytes ? null : File.ReadAllBytes(path);
    }
}
