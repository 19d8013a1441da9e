namespace Thaw.Lora;

/// <summary>
/// What <c>thaw doctor</c> reports for one LoRA module. The norms are null when the module could not be matched,
/// its shapes do not fit the base tensor, or its values are not finite.
/// </summary>
public sealed record ModuleDiagnosis(
    string Module,
    LoraModuleKind Kind,
    bool IsDora,
    string? BaseTensor,
    int Rank,
    double Alpha,
    double Scaling,
    double? DeltaNorm,
    double? BaseNorm)
{
    /// <summary>||ΔW||_F / ||W||_F: how far the adapter moves the weight.</summary>
    public double? Ratio => DeltaNorm is { } d && BaseNorm is { } w && w > 0 ? d / w : null;
}
