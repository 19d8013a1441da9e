using System.Diagnostics.CodeAnalysis;

namespace Thaw.Formats.Gguf.Quants;

/// <summary>The row codecs Thaw has: f32, f16, bf16, q8_0, q4_0, q5_0, q5_1, q4_K, q5_K and q6_K.</summary>
public static class GgmlRowCodecs
{
    private static readonly Dictionary<GgmlType, GgmlRowCodec> Codecs = new GgmlRowCodec[]
    {
        new F32Codec(), new F16Codec(), new BF16Codec(), new Q8_0Codec(), new Q4_0Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(),
    }.ToDictionary(c => c.Type);

    /// <summary>The types that have a codec.</summary>
    public static IReadOnlyCollection<GgmlType> Supported => Codecs.Keys;

    /// <summary>The codec of <paramref name="type"/>, when Thaw has one.</summary>
    public static bool TryGet(GgmlType type, [NotNullWhen(true)] out GgmlRowCodec? codec) => Codecs.TryGetValue(type, out codec);

    /// <summary>The codec of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">Thaw cannot encode or decode that type.</exception>
    public static GgmlRowCodec For(GgmlType type) =>
        Codecs.TryGetValue(type, out var codec)
            ? codec
            : throw new NotSupportedException(
                $"ggml type {GgmlTypes.Name(type)} has no encoder/decoder in Thaw; supported: {string.Join(", ", Codecs.Keys.Select(GgmlTypes.Name))}");
}
