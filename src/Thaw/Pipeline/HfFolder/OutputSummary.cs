namespace Thaw.Pipeline.HfFolder;

/// <summary>What a finished run wrote.</summary>
/// <param name="Path">The output folder.</param>
/// <param name="Files">Its files, weights first.</param>
/// <param name="TensorCount">Tensors written.</param>
/// <param name="TensorBytes">Bytes of tensor data.</param>
/// <param name="OutputBytes">Bytes of all files together.</param>
/// <param name="Elapsed">Wall time of the write.</param>
public sealed record OutputSummary(string Path, IReadOnlyList<string> Files, int TensorCount, long TensorBytes, long OutputBytes, TimeSpan Elapsed);
