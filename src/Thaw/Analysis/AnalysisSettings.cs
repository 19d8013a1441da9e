using Thaw.Quantization.Bnb;

namespace Thaw.Analysis;

/// <summary>The quantizer a measurement imitates: exactly what <c>thaw quantize</c> would write.</summary>
/// <param name="QuantType">NF4 or FP4.</param>
/// <param name="Blocksize">Elements per absmax block.</param>
/// <param name="DoubleQuant">Whether the block maxima are stored double-quantized (changes the dequantized maxima).</param>
public sealed record AnalysisSettings(BnbQuantType QuantType = BnbQuantType.Nf4, int Blocksize = BnbQuantizationSettings.DefaultBlocksize, bool DoubleQuant = false)
{
    /// <summary>Bytes the 4-bit tensors of a weight of <paramref name="elements"/> elements take (codes, maxima, tables; not the JSON).</summary>
    public long FourBitBytes(long elements)
    {
        var blocks = Bnb4BitQuantizer.BlockCount(elements, Blocksize);
        var codes = Bnb4BitQuantizer.PackedLength(elements);
        const long quantMap = 16 * sizeof(float);
        if (!DoubleQuant)
            return codes + blocks * sizeof(float) + quantMap;
        var nested = BnbDoubleQuantizer.NestedBlockCount(checked((int)blocks));
        return codes + blocks + nested * sizeof(float) + quantMap + DynamicMap.Length * sizeof(float);
    }
}
