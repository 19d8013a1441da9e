namespace Thaw.Formats.Gguf;

/// <summary>
/// A tensor to write: its name, ggml dimensions (<c>ne</c>, innermost first: the PyTorch shape reversed) and type.
/// </summary>
public sealed record GgufTensorSpec(string Name, IReadOnlyList<long> Dimensions, GgmlType Type);
