namespace Thaw.Models;

/// <summary>
/// Where one checkpoint layout of an architecture keeps its input embedding and its output projection (lm_head).
/// Layouts differ between transformers versions (VLMs were re-nested in 4.52/v5), so an architecture lists several.
/// </summary>
public sealed record EmbeddingLayout(string Embedding, string LmHead);
