using Thaw.Lora;
using Thaw.Tensors;

namespace Thaw.Inspection;

/// <summary>One LoRA-adapted module of an adapter file, found from its tensor names.</summary>
public sealed record AdapterModule(string ModulePath, string Kind, int Rank, string? LoraA, string? LoraB, string? MagnitudeVector);

/// <summary>
/// Groups the tensors of a saved PEFT adapter by module for <c>thaw inspect</c>, with the key rules of
/// <see cref="AdapterKeys"/> (so raw training checkpoints group too): lora_A/lora_B (Linear, Conv), lora_embedding_A/B
/// (Embedding) and lora_magnitude_vector (DoRA). Every other tensor (full replacements, biases, trainable token rows,
/// keys no rule knows) is listed as a full tensor: inspect shows a file as it is, <see cref="LoraAdapter"/> judges it.
/// </summary>
public static class AdapterModules
{
    /// <summary>The modules, in the order their first tensor appears, and the tensors that belong to none.</summary>
    public static (IReadOnlyList<AdapterModule> Modules, IReadOnlyList<TensorInfo> OtherTensors) Group(IEnumerable<TensorInfo> tensors)
    {
        var modules = new Dictionary<string, (string Kind, TensorInfo? A, TensorInfo? B, TensorInfo? M)>(StringComparer.Ordinal);
        var order = new List<string>();
        var others = new List<TensorInfo>();
        foreach (var tensor in tensors)
        {
            var key = AdapterKeys.Classify(AdapterKeys.Normalize(tensor.Name));
            var role = key?.Role switch
            {
                AdapterTensorRole.LoraA or AdapterTensorRole.EmbeddingA => 'A',
                AdapterTensorRole.LoraB or AdapterTensorRole.EmbeddingB => 'B',
                AdapterTensorRole.Magnitude => 'M',
                _ => ' ',
            };
            if (key is null || role == ' ')
            {
                others.Add(tensor);
                continue;
            }
            var kind = key.Role is AdapterTensorRole.EmbeddingA or AdapterTensorRole.EmbeddingB ? "embedding" : "linear";
            if (!modules.TryGetValue(key.Module, out var entry))
            {
                order.Add(key.Module);
                entry = (kind, null, null, null);
            }
            entry = role switch
            {
                'A' => entry with { A = tensor, Kind = kind },
                'B' => entry with { B = tensor, Kind = kind },
                _ => entry with { M = tensor },
            };
            modules[key.Module] = entry;
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
}
