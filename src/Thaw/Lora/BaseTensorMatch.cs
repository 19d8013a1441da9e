using Thaw.Models;

namespace Thaw.Lora;

/// <summary>A base model tensor an adapter tensor name maps to, and whether it was reached through a tied lm_head.</summary>
public sealed record BaseTensorMatch(ModelTensor Tensor, bool ViaTiedEmbedding)
{
    /// <summary>
    /// Maps a tensor name from the adapter's module paths to the base checkpoint (spec/peft-lora.md §2.3): exact;
    /// VLM renames <c>language_model.model.</c> ↔ <c>model.language_model.</c>; one <c>model.</c> level missing or
    /// extra (peft#1579); a tied <c>lm_head.weight</c> → the shared embedding. Null when nothing matches.
    /// </summary>
    public static BaseTensorMatch? Find(HfModel model, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(name);
        foreach (var candidate in Candidates(name))
        {
            if (model.TryGetTensor(candidate, out var tensor))
                return new(tensor, false);
            if (model.TiedEmbedding is { } tied && candidate == tied.LmHead && model.TryGetTensor(tied.Embedding, out var shared))
                return new(shared, true);
        }
        return null;
    }

    private static IEnumerable<string> Candidates(string name)
    {
        const string OldVlm = "language_model.model.";
        const string NewVlm = "model.language_model.";
        const string Model = "model.";
        yield return name;
        if (name.StartsWith(OldVlm, StringComparison.Ordinal))
            yield return NewVlm + name[OldVlm.Length..];
        if (name.StartsWith(NewVlm, StringComparison.Ordinal))
            yield return OldVlm + name[NewVlm.Length..];
        yield return name.StartsWith(Model, StringComparison.Ordinal) ? name[Model.Length..] : Model + name;
    }
}
