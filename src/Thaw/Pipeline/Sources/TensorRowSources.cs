using Thaw.Models;

namespace Thaw.Pipeline.Sources;

/// <summary>Picks the row source for a model tensor by its kind.</summary>
public static class TensorRowSources
{
    public static ITensorRowSource For(ModelTensor tensor) => tensor switch
    {
        PlainTensor plain => new PlainRowSource(plain),
        _ => throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.Kind}; decoding it is not implemented yet"),
    };
}
