namespace Thaw.Analysis;

/// <summary>
/// How far one weight moves when quantized and dequantized, and how its values are spread.
/// </summary>
/// <param name="Elements">Number of weights.</param>
/// <param name="RelativeError">||W − deq(q(W))||_F / ||W||_F.</param>
/// <param name="MaxAbsError">max |W − deq(q(W))|.</param>
/// <param name="SquaredError">||W − deq(q(W))||_F² (in float64).</param>
/// <param name="MaxAbs">max |W|.</param>
/// <param name="Rms">sqrt(mean W²).</param>
/// <param name="Kurtosis">Excess kurtosis m4 / m2² − 3 of the values (0 for a normal distribution; heavy tails give more).</param>
/// <param name="OutlierFraction">Fraction of values further than 6 standard deviations from the mean (a normal distribution has 2·10⁻⁹).</param>
/// <param name="WeightedError">With an importance per input column (imatrix): sqrt(Σ_j imp_j·||ΔW_:,j||² / Σ_j imp_j·||W_:,j||²); else null.</param>
public sealed record WeightError(
    long Elements, double RelativeError, double MaxAbsError, double SquaredError, double MaxAbs, double Rms, double Kurtosis,
    double OutlierFraction, double? WeightedError)
{
    /// <summary>max |W| / rms: how far the largest weight stands out.</summary>
    public double MaxOverRms => Rms > 0 ? MaxAbs / Rms : 0;
}
