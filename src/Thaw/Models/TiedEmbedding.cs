namespace Thaw.Models;

/// <summary>The output projection has no tensor of its own: it is the input embedding (tie_word_embeddings).</summary>
/// <param name="LmHead">The name lm_head would have in this checkpoint's layout.</param>
/// <param name="Embedding">The stored embedding it shares.</param>
public sealed record TiedEmbedding(string LmHead, string Embedding);
