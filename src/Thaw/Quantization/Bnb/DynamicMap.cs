namespace Thaw.Quantization.Bnb;

/// <summary>
/// The signed 8-bit dynamic code table of double quantization (<c>functional.create_dynamic_map(signed=True,
/// max_exponent_bits=7, total_bits=8)</c>), stored as <c>weight.nested_quant_map</c>, and the CUDA kernel's 8-bit
/// code choice (<c>dQuantize&lt;0&gt;</c>).
/// </summary>
public static class DynamicMap
{
    /// <summary>Number of codes.</summary>
    public const int Length = 256;

    private static readonly float[] Values = Build();

    /// <summary>
    /// The canonical table, ascending from -0.99296875 to 1.0 with 0 at index 127. For i = 0..6 it holds
    /// ±f32(10^(i-6)) × the midpoints of linspace(0.1, 1, 2^i + 1), plus 0 and 1. torch's CPU linspace rounds
    /// differently in some releases, so real checkpoints can differ by an ulp in a few entries; it is stored
    /// with every weight, so readers never depend on it.
    /// </summary>
    public static ReadOnlySpan<float> Table => Values;

    /// <summary>
    /// The code of <paramref name="scaled"/> (a value in [-1, 1]): the nearest table entry, where a value exactly
    /// on a float32 midpoint goes to the entry the kernel's fixed 7-step binary search ends on; NaN gives 0.
    /// </summary>
    public static byte Quantize(float scaled)
    {
        ReadOnlySpan<float> code = Values;
        int pivot = 127, upperIndex = 255, lowerIndex = 0;
        float lower = -1.0f, upper = 1.0f, value = code[pivot];
        for (var step = 64; step > 0; step >>= 1)
        {
            if (scaled > value)
            {
                lowerIndex = pivot;
                lower = value;
                pivot += step;
            }
            else
            {
                upperIndex = pivot;
                upper = value;
                pivot -= step;
            }
            value = code[pivot];
        }
        if (upperIndex == 255)
            upper = code[255];
        if (lowerIndex == 0)
            lower = code[0];

        if (scaled > value)
            return (byte)(scaled > (upper + value) * 0.5f ? upperIndex : pivot);
        return (byte)(scaled < (lower + value) * 0.5f ? lowerIndex : pivot);
    }

    private static float[] Build()
    {
        const int maxExponentBits = 7;
        var values = new List<float>(Length);
        for (var i = 0; i < maxExponentBits; i++)
        {
            var boundaries = Linspace(0.1f, 1.0f, (1 << i) + 1);
            // Python's 10 ** (i - 6): a double, rounded to float32 where torch multiplies the float32 tensor by it.
            var scale = (float)Math.Pow(10, i - (maxExponentBits - 1));
            for (var k = 0; k + 1 < boundaries.Length; k++)
            {
                var mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                values.Add(scale * mean);
                values.Add(-scale * mean);
            }
        }
        values.Add(0f);
        values.Add(1.0f);
        values.Sort();
        return [.. values];
    }

    // torch.linspace in float32 as its reference implementation writes it: the step is rounded once, and each point
    // is one fused multiply-add from the nearer end (the table most ports hard-code).
    private static float[] Linspace(float start, float end, int steps)
    {
        var step = (end - start) / (steps - 1);
        var points = new float[steps];
        var half = steps / 2;
        for (var k = 0; k < steps; k++)
        {
            points[k] = k < half
                ? MathF.FusedMultiplyAdd(step, k, start)
                : MathF.FusedMultiplyAdd(-step, steps - 1 - k, end);
        }
        return points;
    }
}
