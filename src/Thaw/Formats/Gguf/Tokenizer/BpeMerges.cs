using System.Text;
using System.Text.Json;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>
/// The BPE merges as <c>tokenizer.ggml.merges</c> stores them, "left right" (gguf-py <c>SpecialVocab</c>):
/// tokenizer.json model.merges in the old format (strings, kept as they are) or the transformers ≥ 4.45 format
/// (pairs, each ' ' inside a part written as 'Ġ' U+0120 so the single separator stays unambiguous), else merges.txt.
/// </summary>
internal static class BpeMerges
{
    /// <summary>The byte-level BPE encoding of the space byte, 'Ġ'.</summary>
    private const char EncodedSpace = '\u0120';

    /// <summary>The merges, or null when neither tokenizer.json nor merges.txt has any.</summary>
    public static List<string>? Read(TokenizerFiles files, HfTokenizerJson tokenizer)
    {
        if (FromTokenizerJson(tokenizer) is { Count: > 0 } merges)
            return merges;
        return files.Has(TokenizerFiles.MergesName) ? FromMergesTxt(files.PathOf(TokenizerFiles.MergesName)) : null;
    }

    private static List<string>? FromTokenizerJson(HfTokenizerJson tokenizer)
    {
        if (tokenizer.Merges is not { } merges)
            return null;
        if (merges.ValueKind != JsonValueKind.Array)
            throw TokenizerJson.Bad(tokenizer.Path, "model.merges", merges, "an array of merges");
        var result = new List<string>(merges.GetArrayLength());
        if (result.Capacity == 0)
            return result;
        var pairs = merges[0].ValueKind == JsonValueKind.Array;
        foreach (var merge in merges.EnumerateArray())
            result.Add(pairs ? JoinPair(merge, tokenizer.Path) : OldFormat(merge, tokenizer.Path));
        return result;
    }

    private static string OldFormat(JsonElement merge, string path) =>
        merge.ValueKind == JsonValueKind.String
            ? merge.GetString()!
            : throw TokenizerJson.Bad(path, "model.merges", merge, "merges that are all strings \"a b\" or all pairs [\"a\", \"b\"]");

    private static string JoinPair(JsonElement merge, string path)
    {
        if (merge.ValueKind != JsonValueKind.Array || merge.GetArrayLength() != 2
            || merge[0].ValueKind != JsonValueKind.String || merge[1].ValueKind != JsonValueKind.String)
        {
            throw TokenizerJson.Bad(path, "model.merges", merge, "merges that are all strings \"a b\" or all pairs [\"a\", \"b\"]");
        }
        return merge[0].GetString()!.Replace(' ', EncodedSpace) + " " + merge[1].GetString()!.Replace(' ', EncodedSpace);
    }

    /// <summary>merges.txt: an optional first "#version" line, then one "a b" per line; malformed lines are skipped as gguf-py does.</summary>
    private static List<string> FromMergesTxt(string path)
    {
        var text = Encoding.UTF8.GetString(TokenizerJson.ReadBounded(path, TokenizerJson.MaxFileBytes));
        // Python's text mode reads "\r\n" and "\r" as line ends, and nothing else.
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', '\r');
        var merges = new List<string>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (i == 0 && line.StartsWith('#'))
                continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2)
                merges.Add(parts[0] + " " + parts[1]);
        }
        return merges;
    }
}
