namespace Thaw.Analysis;

/// <summary>A module the dynamic selection keeps in 16 bits, and why.</summary>
/// <param name="Module">The module's full name.</param>
/// <param name="Reason">The rule that kept it.</param>
/// <param name="Detail">The rule in words, with the numbers.</param>
/// <param name="Cost">Extra bytes over storing it in 4 bits.</param>
public sealed record KeptModule(string Module, KeepReason Reason, string Detail, long Cost);
