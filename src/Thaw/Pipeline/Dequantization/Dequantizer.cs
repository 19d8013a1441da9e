using System.Globalization;
using Thaw.Models;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Producers;
using Thaw.Pipeline.Sources;
using Thaw.Tensors;

namespace Thaw.Pipeline.Dequantization;

/// <summary>
/// <c>thaw dequantize</c>: a model whose bitsandbytes weights are decoded to plain floats. Every quantized weight is
/// dequantized (bit-exact with bitsandbytes) to the output dtype; every other tensor is copied byte for byte, or,
/// when a dtype is asked for, floating-point tensors of another dtype are cast to it (rounded once, to nearest
/// even). config.json loses its quantization_config and records the output dtype; tokenizer, generation, chat
/// template and processor files are copied.
/// </summary>
public static class Dequantizer
{
    /// <summary>
    /// The dtype of the output: <paramref name="requested"/> when given; otherwise the dtype the model's
    /// floating-point tensors share (for a 4-bit weight the dtype in its quant state, for an LLM.int8 weight the
    /// config's); when they differ, the config's <c>dtype</c>/<c>torch_dtype</c> if it is F32, F16 or BF16;
    /// otherwise BF16.
    /// </summary>
    public static DType OutputDType(HfModel model, DType? requested)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (requested is { } asked)
            return IsOutputDType(asked) ? asked : throw new ArgumentOutOfRangeException(nameof(requested), asked, "the output dtype is F32, F16 or BF16");
        var dtypes = model.Tensors
            .Where(t => t.Kind != ModelTensorKind.Plain || DTypes.IsConvertibleFloat(t.DType))
            .Select(t => t.DType)
            .Distinct()
            .ToList();
        if (dtypes.Count == 1 && IsOutputDType(dtypes[0]))
            return dtypes[0];
        if (model.Config?.TorchDType is { } configured && IsOutputDType(configured))
            return configured;
        return DType.BF16;
    }

    /// <summary>Plans dequantizing <paramref name="model"/> into the folder <paramref name="outputPath"/>.</summary>
    /// <param name="model">The open model; it must stay open until the plan has run.</param>
    /// <param name="outputPath">The output folder.</param>
    /// <param name="requested">The output dtype (--dtype); null for <see cref="OutputDType"/>'s default, which casts nothing.</param>
    /// <param name="options">Shard size, memory, threads, --force.</param>
    /// <exception cref="ThawException">A tensor cannot be decoded, or the plan cannot run (see <see cref="PipelinePlan.Create"/>).</exception>
    public static PipelinePlan Plan(HfModel model, string outputPath, DType? requested, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var dtype = OutputDType(model, requested);
        var tensors = StateDictOrder.Sort(model.Tensors, t => t.Name)
            .Select(t => Output(t, dtype, castPlain: requested is not null))
            .ToList();

        var companions = new List<CompanionFile>();
        if (model.Config is { } config)
            companions.Add(CompanionFile.FromBytes(HfModel.ConfigFileName, ConfigRewriter.Rewrite(config, dtype)));
        if (model.Location.Kind == ModelLocationKind.Folder)
            companions.AddRange(CopiedFiles.In(model.Location.Path));

        var inputs = model.InputPaths.ToList();
        return PipelinePlan.Create(outputPath, tensors, companions, inputs, options);
    }

    /// <summary>
    /// A tensor as dequantize writes it: quantized weights decoded to <paramref name="dtype"/>; plain tensors copied,
    /// or cast when <paramref name="castPlain"/> and they are floating point of another dtype.
    /// </summary>
    internal static OutputTensor Output(ModelTensor tensor, DType dtype, bool castPlain)
    {
        switch (tensor)
        {
            // An int8 weight without its SCB is LLM.int8 codes that cannot be decoded; the row source refuses it
            // rather than letting the codes pass as weights.
            case PlainTensor { DType: DType.I8 } plain when plain.Name.EndsWith(".weight", StringComparison.Ordinal):
                TensorRowSources.For(plain);
                return Copy(plain);
            case PlainTensor plain when !castPlain || plain.DType == dtype || !DTypes.IsConvertibleFloat(plain.DType):
                return Copy(plain);
            default:
                return Cast(tensor, dtype, $"{SourceDescription(tensor)} → {DTypes.SafetensorsName(dtype)}");
        }
    }

    /// <summary>How a tensor's values are read, for plans: "cast BF16", "dequantize nf4 (block 64, double quant)".</summary>
    internal static string SourceDescription(ModelTensor tensor) => tensor switch
    {
        PlainTensor plain => $"cast {DTypes.SafetensorsName(plain.DType)}",
        Bnb4BitTensor fourBit => string.Create(CultureInfo.InvariantCulture,
            $"dequantize {fourBit.QuantType.ToString().ToLowerInvariant()} (block {fourBit.Blocksize}{(fourBit.IsDoubleQuant ? ", double quant" : "")})"),
        _ => $"dequantize {tensor.Kind}",
    };

    private static OutputTensor Copy(PlainTensor plain) => new(plain.Name, plain.DType, plain.Shape, new CopyProducer(plain.Stored));

    private static OutputTensor Cast(ModelTensor tensor, DType dtype, string description) =>
        new(tensor.Name, dtype, tensor.Shape, new CastProducer(TensorRowSources.For(tensor), dtype, description));

    private static bool IsOutputDType(DType dtype) => dtype is DType.F32 or DType.F16 or DType.BF16;
}
