using System.Diagnostics.CodeAnalysis;
using Thaw.Formats.Torch.Pickle;

namespace Thaw.Formats.Torch;

/// <summary>Reads the unpickled top-level object as a state dict: a flat dict of tensor name to tensor.</summary>
internal static class TorchStateDict
{
    /// <summary>Training scripts often save <c>{"state_dict": sd}</c> or <c>{"model": sd}</c>; a lone wrapper key is unwrapped.</summary>
    private static readonly string[] WrapperKeys = ["state_dict", "model"];

    public static List<(string Name, TensorRef Tensor)> Extract(object? root, string path)
    {
        if (root is not PickleDict dict)
        {
            Fail(path, null, $"the checkpoint holds a {PickleValues.Describe(root)}, not a dict of tensors; save model.state_dict()");
            return [];
        }
        if (dict.Entries is [{ Key: string wrapper, Value: PickleDict inner }] && WrapperKeys.Contains(wrapper))
            dict = inner;

        var tensors = new List<(string, TensorRef)>(dict.Entries.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in dict.Entries)
        {
            if (key is not string name)
            {
                Fail(path, null, $"a state dict key is a {PickleValues.Describe(key)}, not a str");
                return [];
            }
            if (value is not TensorRef tensor)
            {
                Fail(path, name, $"the value is a {PickleValues.Describe(value)}, not a tensor; only a flat dict of tensors is read");
                return [];
            }
            if (!names.Add(name))
                Fail(path, name, "the name appears twice in the state dict");
            tensors.Add((name, tensor));
        }
        return tensors;
    }

    [DoesNotReturn]
    private static void Fail(string path, string? tensor, string detail) =>
        TorchCheckpointException.Throw(TorchCheckpointError.NotAStateDict, path, tensor, detail);
}
