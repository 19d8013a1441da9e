namespace Thaw.Formats.Torch.Pickle;

// The Python containers a state-dict pickle builds. Scalars are plain boxed values: None is null, int is long,
// float is double, bool is bool, str is string.

/// <summary>A Python tuple.</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
}

/// <summary>A Python list.</summary>
internal sealed class PickleList
{
    public List<object?> Items { get; } = [];
}

/// <summary>
/// A Python dict or collections.OrderedDict, in insertion order. Keys are not hashed while unpickling: duplicates
/// are found by whoever interprets the dict, which also decides which key types it accepts.
/// </summary>
internal sealed class PickleDict(bool isOrderedDict)
{
    public bool IsOrderedDict { get; } = isOrderedDict;

    public List<KeyValuePair<object?, object?>> Entries { get; } = [];
}

/// <summary>An empty Python set (EMPTY_SET); nothing can be added to it because ADDITEMS is not an allowed opcode.</summary>
internal sealed class PickleEmptySet;
