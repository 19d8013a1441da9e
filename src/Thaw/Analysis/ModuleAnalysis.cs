using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Analysis;

/// <summary>One quantizable module measured.</summary>
/// <param name="Name">Where the module sits (stack, depth, type).</param>
/// <param name="Weight">The weight tensor's name.</param>
/// <param name="Shape">The weight's shape as nn.Linear holds it ([out, in]).</param>
/// <param name="DType">The weight's dtype in the model (what a kept module stays in).</param>
/// <param name="Error">The measurement.</param>
/// <param name="SixteenBitBytes">Bytes of the weight in the model dtype.</param>
/// <param name="FourBitBytes">Bytes of its 4-bit tensors as they would be written.</param>
/// <param name="AlwaysKeep">Why it is always kept (skip list, blocksize), or null.</param>
/// <param name="AlwaysKeepDetail">The rule in words, or null.</param>
public sealed record ModuleAnalysis(
    ModuleName Name, string Weight, ImmutableArray<long> Shape, DType DType, WeightError Error, long SixteenBitBytes, long FourBitBytes,
    KeepReason? AlwaysKeep, string? AlwaysKeepDetail)
{
    public string Module => Name.Module;

    /// <summary>Extra bytes of keeping it in the model dtype instead of 4 bits.</summary>
    public long KeepCost => SixteenBitBytes - FourBitBytes;

    /// <summary>The error the selection ranks by: the activation-weighted one when an imatrix covers the module.</summary>
    public double SelectionError => Error.WeightedError ?? Error.RelativeError;
}
