using LLama;
using LLama.Common;
using LLama.Native;

namespace Thaw.Tests.LlamaCpp;

/// <summary>
/// Runs a GGUF file in llama.cpp through LLamaSharp with the settings the reference logits were made with
/// (tests/fixtures/MANIFEST.md, A6/A7): context 64, batch and micro-batch 64, 2 threads, f32 K/V cache, no flash
/// attention, every prompt id in one batch with logits for every position.
/// </summary>
internal static class LlamaCppLogits
{
    private const int ContextSize = 64;
    private const int Threads = 2;

    // llama.cpp's backend and the native library choice are process-wide; one model at a time.
    private static readonly Lock Gate = new();
    private static readonly Lazy<bool> NativeReady = new(ConfigureNativeLibrary);

    /// <summary>The logits at the last position of each prompt, each prompt in a fresh context.</summary>
    public static float[][] LastPositions(string gguf, IReadOnlyList<int[]> prompts, string? loraGguf = null)
    {
        lock (Gate)
        {
            _ = NativeReady.Value;
            var parameters = new ModelParams(gguf)
            {
                ContextSize = ContextSize,
                BatchSize = ContextSize,
                UBatchSize = ContextSize,
                Threads = Threads,
                BatchThreads = Threads,
                TypeK = GGMLType.GGML_TYPE_F32,
                TypeV = GGMLType.GGML_TYPE_F32,
                FlashAttention = false,
                GpuLayerCount = 0,
            };
            using var weights = LLamaWeights.LoadFromFile(parameters);
            var lora = loraGguf is null ? null : weights.NativeHandle.LoadLoraFromFile(loraGguf);
            return [.. prompts.Select(ids => LastPosition(weights, parameters, ids, lora, gguf))];
        }
    }

    private static float[] LastPosition(LLamaWeights weights, ModelParams parameters, int[] ids, LoraAdapter? lora, string gguf)
    {
        using var context = weights.CreateContext(parameters);
        if (lora is not null)
            context.NativeHandle.SetLoraAdapters([(lora, 1f)]);
        var batch = new LLamaBatch();
        for (var i = 0; i < ids.Length; i++)
            batch.Add(ids[i], i, LLamaSeqId.Zero, true);
        var result = context.Decode(batch);
        Assert.True(result == DecodeResult.Ok, $"llama_decode of {gguf} returned {result}");
        return context.NativeHandle.GetLogitsIth(ids.Length - 1).ToArray();
    }

    /// <summary>
    /// LLamaSharp looks for runtimes/&lt;rid&gt;/native/&lt;avx level&gt;/ under "./" by default, the working directory:
    /// the test output folder is where LLamaSharp.Backend.Cpu copies them, whatever the runner's working directory.
    /// The AVX level is LLamaSharp's detection (avx512 on the machine the references were made on), with fallback.
    /// llama.cpp's log stays off the test output.
    /// </summary>
    private static bool ConfigureNativeLibrary()
    {
        NativeLibraryConfig.All
            .WithSearchDirectory(AppContext.BaseDirectory)
            .WithAutoFallback(true)
            .WithLogCallback((_, _) => { });
        return true;
    }
}
