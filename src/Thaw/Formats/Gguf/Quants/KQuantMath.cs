namespace Thaw.Formats.Gguf.Quants;

/// <summary>
/// The scale searches of ggml's K-quants (<c>ggml-quants.c</c>), in float32 with ggml's exact operation order (no
/// FMA, no double): every rounding step matters for byte identity.
/// </summary>
internal static class KQuantMath
{
    /// <summary>GROUP_MAX_EPS: a group whose largest magnitude is below it is all zero.</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>
    /// ggml's nearest_int: adds 1.5·2^23 so the float adder rounds to an integer (half to even) and reads the
    /// integer back from the mantissa bits. Valid for |f| ≤ 4194303, like the original.
    /// </summary>
    public static int NearestInt(float value)
    {
        var shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000;
    }

    /// <summary>
    /// make_qkx2_quants: an asymmetric (scale, min) fit of x to levels 0..nmax under weights w, trying nstep + 1
    /// scales around nmax / (max - min) and keeping the one with the least weighted squared error. Writes the
    /// levels to <paramref name="levels"/>, the (positive) min to <paramref name="theMin"/>, returns the scale.
    /// </summary>
    public static float MakeQkx2Quants(int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels,
        out float theMin, Span<byte> scratch, float rmin, float rdelta, int nstep)
    {
        var n = x.Length;
        var min = x[0];
        var max = x[0];
        var sumW = weights[0];
        var sumX = sumW * x[0];
        for (var i = 1; i < n; i++)
        {
            if (x[i] < min)
                min = x[i];
            if (x[i] > max)
                max = x[i];
            var w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0)
            min = 0;
        if (max == min)
        {
            levels[..n].Clear();
            theMin = -min;
            return 0f;
        }
        var iscale = nmax / (max - min);
        var scale = 1 / iscale;
        var bestError = 0f;
        for (var i = 0; i < n; i++)
        {
            var l = NearestInt(iscale * (x[i] - min));
            levels[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            var diff = scale * levels[i] + min - x[i];
            diff *= diff;
            bestError += weights[i] * diff;
        }
        for (var step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (var i = 0; i < n; i++)
            {
                var l = Math.Max(0, Math.Min(nmax, NearestInt(iscale * (x[i] - min))));
                scratch[i] = (byte)l;
                var w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            var det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                var thisScale = (sumW * sumXL - sumX * sumL) / det;
                var thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                var error = 0f;
                for (var i = 0; i < n; i++)
                {
                    var diff = thisScale * scratch[i] + thisMin - x[i];
                    diff *= diff;
                    error += weights[i] * diff;
                }
                if (error < bestError)
                {
                    scratch[..n].CopyTo(levels);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// make_qx_quants with rmse_type 1 and no importance weights: a symmetric fit of x to levels -nmax..nmax-1
    /// (stored + nmax) with weights x², trying 19 scales around -nmax / max. Returns the scale (signed).
    /// </summary>
    public static float MakeQxQuants(int nmax, ReadOnlySpan<float> x, Span<sbyte> levels)
    {
        var n = x.Length;
        var max = BlockScale.SignedAbsMax(x);
        if (MathF.Abs(max) < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        var iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (var i = 0; i < n; i++)
        {
            var l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            levels[i] = (sbyte)(l + nmax);
            var w = x[i] * x[i];
            sumLX += w * x[i] * l;
            sumL2 += w * l * l;
        }
        var scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        var best = scale * sumLX;
        for (var step = -9; step <= 9; step++)
        {
            if (step == 0)
                continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumLX = sumL2 = 0;
            for (var i = 0; i < n; i++)
            {
                var l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                var w = x[i] * x[i];
                sumLX += w * x[i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2)
            {
                for (var i = 0; i < n; i++)
                    levels[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
