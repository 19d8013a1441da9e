using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Thaw.Formats.Json;

/// <summary>
/// JSON as transformers writes config files (<c>json.dumps(d, indent=2, sort_keys=True) + "\n"</c>), but with the
/// keys in the order given: the source config was written sorted, and the rewrite keeps its order. Strings are
/// ASCII with \u escapes as Python's ensure_ascii writes them; numbers keep the text they were read with.
/// </summary>
internal static class PythonJson
{
    public static byte[] ToBytes(JsonNode? node)
    {
        var text = new StringBuilder();
        Append(text, node, 0);
        text.Append('\n');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void Append(StringBuilder text, JsonNode? node, int level)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                AppendContainer(text, '{', '}', obj.Count, level, obj.Select(p => ((string?)p.Key, p.Value)));
                break;
            case JsonArray array:
                AppendContainer(text, '[', ']', array.Count, level, array.Select(v => ((string?)null, v)));
                break;
            default:
                AppendValue(text, node.AsValue());
                break;
        }
    }

    private static void AppendContainer(
        StringBuilder text, char open, char close, int count, int level, IEnumerable<(string? Key, JsonNode? Value)> items)
    {
        if (count == 0)
        {
            text.Append(open).Append(close);
            return;
        }
        text.Append(open);
        var first = true;
        foreach (var (key, value) in items)
        {
            text.Append(first ? "\n" : ",\n").Append(' ', 2 * (level + 1));
            first = false;
            if (key is not null)
            {
                JsonText.AppendPythonString(text, key);
                text.Append(": ");
            }
            Append(text, value, level + 1);
        }
        text.Append('\n').Append(' ', 2 * level).Append(close);
    }

    private static void AppendValue(StringBuilder text, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                JsonText.AppendPythonString(text, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Null:
                text.Append("null");
                break;
            default:
                // Numbers as they were read (1e-05, 10000.0): re-formatting would change what Python wrote.
                text.Append(value.ToJsonString());
                break;
        }
    }
}
