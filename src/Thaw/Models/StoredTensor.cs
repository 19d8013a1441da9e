using Thaw.Formats;
using Thaw.Tensors;

namespace Thaw.Models;

/// <summary>One tensor as stored in one of a model's files.</summary>
/// <param name="Info">Name, dtype, shape and byte length from the file's header.</param>
/// <param name="File">The open file holding its data.</param>
public sealed record StoredTensor(TensorInfo Info, ITensorFile File)
{
    public string Name => Info.Name;

    /// <summary>The path of the file it is stored in.</summary>
    public string FilePath => File.Path;
}
