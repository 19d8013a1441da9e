using System.Text.Json;

namespace Thaw.Cli.Rendering;

/// <summary>What a run decided or changed (tied embeddings, type fallbacks, folded scalings), as text or JSON.</summary>
internal static class Notes
{
    /// <summary>One "note: ..." line each.</summary>
    public static void Write(TextWriter output, IReadOnlyList<string> notes)
    {
        foreach (var note in notes)
            output.WriteLine($"note: {note}");
    }

    /// <summary>A "notes" array.</summary>
    public static void Write(Utf8JsonWriter json, IReadOnlyList<string> notes)
    {
        json.WriteStartArray("notes");
        foreach (var note in notes)
            json.WriteStringValue(note);
        json.WriteEndArray();
    }
}
