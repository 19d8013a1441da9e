namespace Thaw.Models;

/// <summary>The config.json key names of the common hyper-parameters (canonical name first).</summary>
internal sealed record ConfigKeys(
    string[] HiddenSize,
    string[] IntermediateSize,
    string[] NumHiddenLayers,
    string[] NumAttentionHeads,
    string[] MaxPositionEmbeddings)
{
    public static ConfigKeys Standard { get; } = new(
        ["hidden_size"], ["intermediate_size"], ["num_hidden_layers"], ["num_attention_heads"], ["max_position_embeddings"]);

    // attribute_map: the canonical name, when present, overrides the GPT-2 name (it is set last in __init__).
    public static ConfigKeys Gpt2 { get; } = new(
        ["hidden_size", "n_embd"], ["n_inner"], ["num_hidden_layers", "n_layer"], ["num_attention_heads", "n_head"],
        ["max_position_embeddings", "n_positions"]);
}
