namespace Thaw.Formats.Torch.Pickle;

/// <summary>Names of unpickled values for error messages; never prints contents, which may be large or cyclic.</summary>
internal static class PickleValues
{
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        PickleTuple t => $"tuple of {t.Items.Length}",
        PickleList => "list",
        PickleDict { IsOrderedDict: true } => "OrderedDict",
        PickleDict => "dict",
        PickleEmptySet => "set",
        TorchGlobal g => g.QualifiedName,
        StorageRef => "storage",
        TensorRef => "tensor",
        _ => value.GetType().Name,
    };
}
