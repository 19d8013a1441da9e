namespace Thaw.Formats.Gguf.Quants;

/// <summary>The scale searches ggml's symmetric quantizers share, with its comparison order kept for byte identity.</summary>
internal static class BlockScale
{
    /// <summary>
    /// The value of largest magnitude with its sign (0 when all are zero): the first one on ties, and a NaN never
    /// wins, as in ggml's <c>if (amax &lt; fabsf(v))</c>.
    /// </summary>
    public static float SignedAbsMax(ReadOnlySpan<float> x)
    {
        float amax = 0f, max = 0f;
        foreach (var v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        return max;
    }

    /// <summary>ggml's <c>id = d ? 1.0f/d : 0.0f</c>: an all-zero block quantizes with 0, not infinity.</summary>
    public static float Reciprocal(float d) => d != 0 ? 1f / d : 0f;
}
