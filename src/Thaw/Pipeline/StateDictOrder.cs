namespace Thaw.Pipeline;

/// <summary>
/// Orders tensor names the way transformers' state dicts list them (module registration order), which decides
/// how <c>save_pretrained</c> fills shards. Checkpoint files do not keep that order (safetensors sorts by dtype and
/// name), so it is rebuilt: names compare segment by segment ('.'-separated); layer numbers numerically; a module
/// before its sub-modules' tensors; known module names in the order the common architectures register them
/// (embeddings, layers, attention q/k/v/o, MLP gate/up/down, norms, lm_head last); other names ordinally after
/// the known ones.
/// </summary>
public sealed class StateDictOrder : IComparer<string>
{
    // Siblings only ever meet their own siblings, so one list serves Llama-style decoders (Llama, Mistral, Qwen,
    // Gemma, Phi-3) and GPT-2 alike.
    private static readonly string[] KnownOrder =
    [
        "model", "transformer", "language_model",
        "embed_tokens", "wte", "wpe", "layers", "h",
        "ln_1", "attn", "ln_2",
        "self_attn", "mlp", "input_layernorm", "post_attention_layernorm",
        "pre_feedforward_layernorm", "post_feedforward_layernorm",
        "q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj", "q_norm", "k_norm",
        "c_attn", "c_fc", "c_proj",
        "gate_proj", "up_proj", "gate_up_proj", "down_proj",
        "norm", "ln_f", "lm_head",
        "weight", "bias",
    ];

    private static readonly Dictionary<string, int> Rank =
        KnownOrder.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);

    private StateDictOrder()
    {
    }

    public static StateDictOrder Instance { get; } = new();

    /// <summary>The names sorted in state-dict order (a stable sort).</summary>
    public static List<T> Sort<T>(IEnumerable<T> items, Func<T, string> name)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(name);
        return [.. items.OrderBy(name, Instance)];
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        var a = x.AsSpan();
        var b = y.AsSpan();
        while (true)
        {
            var segmentA = NextSegment(ref a);
            var segmentB = NextSegment(ref b);
            var order = CompareSegments(segmentA, segmentB);
            if (order != 0)
                return order;
            // Same segment: the name that ends here is the parent and comes first.
            if (a.IsEmpty || b.IsEmpty)
                return a.IsEmpty == b.IsEmpty ? string.CompareOrdinal(x, y) : a.IsEmpty ? -1 : 1;
        }
    }

    private static ReadOnlySpan<char> NextSegment(ref ReadOnlySpan<char> rest)
    {
        var dot = rest.IndexOf('.');
        var segment = dot < 0 ? rest : rest[..dot];
        rest = dot < 0 ? [] : rest[(dot + 1)..];
        return segment;
    }

    private static int CompareSegments(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.SequenceEqual(b))
            return 0;
        var numberA = IsNumber(a);
        var numberB = IsNumber(b);
        if (numberA && numberB)
        {
            // Layer numbers: shorter (after leading zeros) is smaller, then digit by digit.
            var trimmedA = a.TrimStart('0');
            var trimmedB = b.TrimStart('0');
            return trimmedA.Length != trimmedB.Length ? trimmedA.Length.CompareTo(trimmedB.Length) : trimmedA.SequenceCompareTo(trimmedB);
        }
        if (numberA != numberB)
            return numberA ? -1 : 1;
        var lookup = Rank.GetAlternateLookup<ReadOnlySpan<char>>();
        var knownA = lookup.TryGetValue(a, out var rankA);
        var knownB = lookup.TryGetValue(b, out var rankB);
        if (knownA && knownB)
            return rankA.CompareTo(rankB);
        if (knownA != knownB)
            return knownA ? -1 : 1;
        return a.SequenceCompareTo(b);
    }

    private static bool IsNumber(ReadOnlySpan<char> segment) =>
        !segment.IsEmpty && !segment.ContainsAnyExceptInRange('0', '9');
}
