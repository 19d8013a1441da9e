namespace Thaw.Models;

/// <summary>
/// Architecture knowledge by config.json model_type. Tensor names are those of the *ForCausalLM /
/// *ForConditionalGeneration classes as saved by save_pretrained, in the layout of transformers 5.x and, where
/// it differs, of 4.x.
/// </summary>
public static class Architectures
{
    /// <summary>The layout of every decoder built like Llama: model.embed_tokens + lm_head.</summary>
    public static EmbeddingLayout DecoderLayout { get; } = new("model.embed_tokens.weight", "lm_head.weight");

    // VLMs re-nested in transformers 4.52 / v5: the language model under model.language_model, lm_head at the top.
    private static readonly EmbeddingLayout NestedVlmLayout = new("model.language_model.embed_tokens.weight", "lm_head.weight");
    private static readonly EmbeddingLayout LegacyVlmLayout = new("language_model.model.embed_tokens.weight", "language_model.lm_head.weight");

    private static readonly string[] LlavaPrefixes =
        ["vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector."];

    private static readonly Dictionary<string, ArchitectureInfo> ByModelType = Build(
        Decoder("llama"),
        Decoder("mistral"),
        Decoder("qwen2"),
        Decoder("qwen3"),
        Decoder("gemma"),
        Decoder("gemma2"),
        Decoder("phi3"),
        new ArchitectureInfo
        {
            ModelType = "gpt2",
            // GPT2LMHeadModel saves transformer.*; the original OpenAI checkpoints have no prefix.
            EmbeddingLayouts = [new("transformer.wte.weight", "lm_head.weight"), new("wte.weight", "lm_head.weight")],
            Conv1DModules = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj",
                "crossattention.c_attn", "crossattention.q_attn", "crossattention.c_proj"],
        },
        new ArchitectureInfo
        {
            ModelType = "llava",
            EmbeddingLayouts = [NestedVlmLayout, LegacyVlmLayout],
            VisionPrefixes = LlavaPrefixes,
            TextModelType = "llama",
            VisionModelType = "clip_vision_model",
        },
        new ArchitectureInfo
        {
            ModelType = "llava_next",
            EmbeddingLayouts = [NestedVlmLayout, LegacyVlmLayout],
            VisionPrefixes = [.. LlavaPrefixes, "image_newline", "model.image_newline"],
            TextModelType = "llama",
            VisionModelType = "clip_vision_model",
        },
        new ArchitectureInfo
        {
            ModelType = "mllama",
            EmbeddingLayouts = [NestedVlmLayout, LegacyVlmLayout],
            VisionPrefixes = ["vision_model.", "multi_modal_projector.", "model.vision_model.", "model.multi_modal_projector."],
            TextModelType = "mllama_text_model",
            TextModelTypeIsFixed = true,
            VisionModelType = "mllama_vision_model",
        },
        new ArchitectureInfo
        {
            ModelType = "qwen2_vl",
            // 4.x kept the language model at model.* (no nesting) and the vision tower at visual.*.
            EmbeddingLayouts = [NestedVlmLayout, DecoderLayout],
            VisionPrefixes = ["visual.", "model.visual."],
            TextModelType = "qwen2_vl_text",
            TextModelTypeIsFixed = true,
            TextFieldsMayBeTopLevel = true,
        });

    /// <summary>Every model type Thaw has architecture knowledge of.</summary>
    public static IReadOnlyCollection<string> KnownModelTypes => ByModelType.Keys;

    /// <summary>The architecture of a model type, or null when Thaw does not know it.</summary>
    public static ArchitectureInfo? Find(string? modelType) =>
        modelType is not null && ByModelType.TryGetValue(modelType, out var info) ? info : null;

    private static ArchitectureInfo Decoder(string modelType) =>
        new() { ModelType = modelType, EmbeddingLayouts = [DecoderLayout] };

    private static Dictionary<string, ArchitectureInfo> Build(params ArchitectureInfo[] infos) =>
        infos.ToDictionary(i => i.ModelType, StringComparer.Ordinal);
}
