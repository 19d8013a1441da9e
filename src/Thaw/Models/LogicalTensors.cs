using Thaw.Formats;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>
/// Groups a model's stored tensors into logical tensors: each bitsandbytes 4-bit weight with its absmax,
/// quant_map, nested and quant-state tensors; each LLM.int8 weight with its SCB and weight_format; every other
/// tensor on its own. Only the quant-state tensors (a few hundred bytes of JSON each) are read.
/// </summary>
internal static class LogicalTensors
{
    private static readonly string[] FourBitAuxSuffixes = [".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map"];

    /// <param name="stored">Every stored tensor, names unique.</param>
    /// <param name="int8DType">The dtype LLM.int8 weights dequantize to (the model's dtype).</param>
    public static List<ModelTensor> Build(IReadOnlyList<StoredTensor> stored, DType int8DType)
    {
        var byName = stored.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ModelTensor>();

        foreach (var t in stored)
        {
            if (BnbQuantState.TryParseKey(t.Name, out var weightName, out _))
                result.Add(BuildFourBit(t, weightName, byName, consumed));
        }
        foreach (var t in stored)
        {
            if (t.Name.EndsWith(".SCB", StringComparison.Ordinal))
                result.Add(BuildInt8(t, byName, consumed, int8DType));
        }
        foreach (var t in stored)
        {
            if (consumed.Contains(t.Name))
                continue;
            RejectOrphan(t, byName);
            result.Add(new PlainTensor(t));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    private static Bnb4BitTensor BuildFourBit(
        StoredTensor stateTensor, string weightName, Dictionary<string, StoredTensor> byName, HashSet<string> consumed)
    {
        if (!byName.TryGetValue(weightName, out var weight))
            BnbFormatException.Throw(BnbError.MissingTensor, stateTensor.FilePath, weightName,
                $"quant state '{stateTensor.Name}' describes this weight, but the model has no such tensor");
        if (!consumed.Add(weightName))
            BnbFormatException.Throw(BnbError.BadTensorLayout, stateTensor.FilePath, weightName,
                "weight has two quant states (both __nf4 and __fp4); keep the one that matches its codes");
        var state = ReadQuantState(stateTensor);

        StoredTensor? Aux(string suffix) => byName.TryGetValue(weightName + suffix, out var aux) ? aux : null;
        var absmax = Aux(".absmax");
        var quantMap = Aux(".quant_map");
        var nestedAbsmax = Aux(".nested_absmax");
        var nestedQuantMap = Aux(".nested_quant_map");
        BnbStoredLayout.Validate4Bit(state, FileOf(byName), weight.Info, absmax?.Info, quantMap?.Info, nestedAbsmax?.Info, nestedQuantMap?.Info);

        consumed.Add(stateTensor.Name);
        foreach (var suffix in FourBitAuxSuffixes)
            consumed.Add(weightName + suffix);
        return new Bnb4BitTensor(weight, state, stateTensor, absmax!, quantMap!, nestedAbsmax, nestedQuantMap);
    }

    private static BnbQuantState ReadQuantState(StoredTensor stateTensor)
    {
        var info = stateTensor.Info;
        if (info.DType != DType.U8 || info.ByteLength > BnbQuantState.MaxJsonBytes)
            BnbFormatException.Throw(BnbError.BadQuantStateTensor, stateTensor.FilePath, info.Name,
                $"quant-state tensor is {DTypes.SafetensorsName(info.DType)} {info.ShapeText}, expected uint8 JSON bytes of at most {BnbQuantState.MaxJsonBytes}");
        return BnbQuantState.Parse(stateTensor.File.ReadAll(info), info.Name, stateTensor.FilePath);
    }

    private static BnbInt8Tensor BuildInt8(
        StoredTensor scb, Dictionary<string, StoredTensor> byName, HashSet<string> consumed, DType dtype)
    {
        var module = scb.Name[..^".SCB".Length];
        var weightName = module + ".weight";
        if (!byName.TryGetValue(weightName, out var weight))
            BnbFormatException.Throw(BnbError.OrphanTensor, scb.FilePath, scb.Name,
                $"SCB (LLM.int8 row scales) has no weight '{weightName}' to scale; the checkpoint is incomplete");
        var weightFormat = byName.GetValueOrDefault(module + ".weight_format");
        BnbStoredLayout.ValidateInt8(FileOf(byName), weight.Info, scb.Info, weightFormat?.Info);
        if (!consumed.Add(weightName))
            BnbFormatException.Throw(BnbError.BadTensorLayout, scb.FilePath, weightName, "weight has both a 4-bit quant state and an LLM.int8 SCB");
        consumed.Add(scb.Name);
        if (weightFormat is not null)
            consumed.Add(weightFormat.Name);
        return new BnbInt8Tensor(weight, scb, weightFormat, dtype);
    }

    // An auxiliary tensor next to a weight that has no quant state would otherwise pass as a plain tensor and the
    // weight's packed codes as real values.
    private static void RejectOrphan(StoredTensor t, Dictionary<string, StoredTensor> byName)
    {
        foreach (var suffix in FourBitAuxSuffixes)
        {
            if (t.Name.EndsWith(".weight" + suffix, StringComparison.Ordinal) && byName.ContainsKey(t.Name[..^suffix.Length]))
                BnbFormatException.Throw(BnbError.OrphanTensor, t.FilePath, t.Name,
                    $"bitsandbytes tensor without a '{t.Name[..^suffix.Length]}{BnbQuantState.KeyInfix}nf4' (or fp4) quant state; the checkpoint is incomplete");
        }
        const string formatSuffix = ".weight_format";
        if (t.Name.EndsWith(formatSuffix, StringComparison.Ordinal) && byName.ContainsKey(t.Name[..^formatSuffix.Length] + ".weight"))
            BnbFormatException.Throw(BnbError.OrphanTensor, t.FilePath, t.Name,
                "LLM.int8 weight_format without the module's SCB; the checkpoint is incomplete");
    }

    private static Func<TensorInfo, string?> FileOf(Dictionary<string, StoredTensor> byName) =>
        info => byName.TryGetValue(info.Name, out var t) ? t.FilePath : null;
}
