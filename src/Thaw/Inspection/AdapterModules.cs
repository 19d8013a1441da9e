using Thaw.Tensors;

namespace Thaw.Inspection;

/// <summary>One LoRA-adapted module of an adapter file, found from its tensor names.</summary>
public sealed record AdapterModule(string ModulePath, string Kind, int Rank, string? LoraA, string? LoraB, string? MagnitudeVector);

/// <summary>
/// Groups the tensors of a saved PEFT adapter (spec/peft-lora.md §2.1) by module:
/// <c>base_model.model.&lt;m&gt;.lora_A.weight</c> / <c>lora_B.weight</c> (Linear, Conv), <c>lora_embedding_A/B</c>
/// (Embedding) and <c>lora_magnitude_vector</c> (DoRA). Other tensors (modules_to_save copies, biases, trainable
/// token rows) are counted as full tensors. Key normalization for raw training checkpoints belongs to the merge.
/// </summary>
public static class AdapterModules
{
    private const string PeftPrefix = "base_model.model.";

    private static readonly (string Suffix, string Kind, bool IsA)[] LoraSuffixes =
    [
        (".lora_A.weight", "linear", true),
        (".lora_B.weight", "linear", false),
        (".lora_embedding_A", "embedding", true),
        (".lora_embedding_B", "embedding", false),
    ];

    private const string MagnitudeSuffix = ".lora_magnitude_vector";

    /// <summary>The modules, in the order their first tensor appears, and the tensors that belong to none.</summary>
    public static (IReadOnlyList<AdapterModule> Modules, IReadOnlyList<TensorInfo> OtherTensors) Group(IEnumerable<TensorInfo> tensors)
    {
        var modules = new Dictionary<string, (string Kind, TensorInfo? A, TensorInfo? B, TensorInfo? M)>(StringComparer.Ordinal);
        var order = new List<string>();
        var others = new List<TensorInfo>();
        foreach (var tensor in tensors)
        {
            var name = tensor.Name.StartsWith(PeftPrefix, StringComparison.Ordinal) ? tensor.Name[PeftPrefix.Length..] : tensor.Name;
            var (module, kind, role) = Classify(name);
            if (module is null)
            {
                others.Add(tensor);
                continue;
            }
            if (!modules.TryGetValue(module, out var entry))
            {
                order.Add(module);
                entry = (kind, null, null, null);
            }
            entry = role switch
            {
                'A' => entry with { A = tensor, Kind = kind },
                'B' => entry with { B = tensor, Kind = kind },
                _ => entry with { M = tensor },
            };
            modules[module] = entry;
        }
        var result = order.Select(m =>
        {
            var e = modules[m];
            return new AdapterModule(m, e.M is null ? e.Kind : e.Kind + "+dora", RankOf(e.A, e.B), e.A?.Name, e.B?.Name, e.M?.Name);
        }).ToList();
        return (result, others);
    }

    // Linear A is [r, in] and B [out, r]; embedding A is [r, vocab] and B [dim, r]: r is A's first dimension.
    private static int RankOf(TensorInfo? a, TensorInfo? b)
    {
        if (a is { Shape.Length: >= 1 })
            return (int)Math.Min(a.Shape[0], int.MaxValue);
        if (b is { Shape.Length: >= 2 })
            return (int)Math.Min(b.Shape[1], int.MaxValue);
        return 0;
    }

    private static (string? Module, string Kind, char Role) Classify(string name)
    {
        foreach (var (suffix, kind, isA) in LoraSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
                return (name[..^suffix.Length], kind, isA ? 'A' : 'B');
        }
        if (name.EndsWith(MagnitudeSuffix, StringComparison.Ordinal))
            return (name[..^MagnitudeSuffix.Length], "linear", 'M');
        return (null, "", ' ');
    }
}
