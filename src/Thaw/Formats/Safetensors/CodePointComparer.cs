namespace Thaw.Formats.Safetensors;

/// <summary>
/// Orders strings by Unicode code point, which is how Rust compares <c>String</c>s (UTF-8 bytes) and Python
/// compares <c>str</c>s. Ordinal UTF-16 order differs for characters above U+FFFF versus U+E000..U+FFFF.
/// </summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static readonly CodePointComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
            return x is null ? (y is null ? 0 : -1) : 1;
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            if (x[i] != y[i])
                return Fixup(x[i]) - Fixup(y[i]);
        }
        return x.Length - y.Length;
    }

    // Surrogates (U+D800..U+DFFF, which encode code points above U+FFFF) must sort after U+E000..U+FFFF.
    private static int Fixup(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
