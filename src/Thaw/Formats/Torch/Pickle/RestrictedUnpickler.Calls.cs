using System.Collections.Immutable;
using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

// The opcodes that "construct" things: REDUCE, NEWOBJ, BUILD and BINPERSID. Each accepts only the shapes torch.save
// writes for a state dict and produces a plain container or a descriptor; no code runs.
internal sealed partial class RestrictedUnpickler
{
    /// <summary>REDUCE: calls an allow-listed callable with a tuple of arguments.</summary>
    private object Call(object? callable, object? arguments)
    {
        if (arguments is not PickleTuple tuple)
        {
            Fail($"REDUCE needs an argument tuple but got {PickleValues.Describe(arguments)}");
            return null;
        }
        var args = tuple.Items;
        switch (callable)
        {
            case TorchGlobal { Kind: TorchGlobalKind.OrderedDict }:
                if (args.Length != 0)
                    Fail($"collections.OrderedDict is called with {args.Length} arguments; torch.save pickles it with none");
                return new PickleDict(isOrderedDict: true);
            case TorchGlobal { Kind: TorchGlobalKind.RebuildTensorV2 }:
                ExpectArguments("_rebuild_tensor_v2", args, 6, 7);
                var storage = ExpectStorage(args[0]);
                if (storage.ElementType is not { } dtype)
                {
                    Fail($"_rebuild_tensor_v2 gets untyped storage '{storage.Key}'; only _rebuild_tensor_v3 carries the dtype for one");
                    return null;
                }
                return RebuildTensor(storage, dtype, args);
            case TorchGlobal { Kind: TorchGlobalKind.RebuildTensorV3 }:
                ExpectArguments("_rebuild_tensor_v3", args, 7, 8);
                if (args[6] is not TorchGlobal { Kind: TorchGlobalKind.DType, DType: { } v3Type })
                {
                    Fail($"_rebuild_tensor_v3 needs a torch dtype as its 7th argument but got {PickleValues.Describe(args[6])}");
                    return null;
                }
                return RebuildTensor(ExpectStorage(args[0]), v3Type, args);
            case TorchGlobal { Kind: TorchGlobalKind.RebuildParameter }:
                ExpectArguments("_rebuild_parameter", args, 3, 3);
                return ExpectTensor(args[0], "_rebuild_parameter");
            case TorchGlobal { Kind: TorchGlobalKind.RebuildParameterWithState }:
                ExpectArguments("_rebuild_parameter_with_state", args, 4, 4);
                return ExpectTensor(args[0], "_rebuild_parameter_with_state");
            default:
                Fail($"REDUCE calls {PickleValues.Describe(callable)}, which is not a callable Thaw accepts");
                return null;
        }
    }

    /// <summary>
    /// The arguments shared by both rebuild versions: (storage, storage_offset, size, stride, requires_grad,
    /// backward_hooks, ...). requires_grad, hooks and the trailing metadata do not change the data and are ignored.
    /// </summary>
    private TensorRef RebuildTensor(StorageRef storage, DType dtype, object?[] args) =>
        new(storage, dtype, ExpectInt(args[1], "storage offset"), ExpectInts(args[2], "size"), ExpectInts(args[3], "stride"));

    /// <summary>NEWOBJ: torch allows it for allow-listed classes; the only one a state dict can use is an empty OrderedDict.</summary>
    private void NewObject()
    {
        var arguments = Pop();
        var cls = Pop();
        if (cls is not TorchGlobal { Kind: TorchGlobalKind.OrderedDict } || arguments is not PickleTuple { Items.Length: 0 })
            Fail($"NEWOBJ creates {PickleValues.Describe(cls)} from {PickleValues.Describe(arguments)}; only an empty collections.OrderedDict is accepted");
        Push(new PickleDict(isOrderedDict: true));
    }

    /// <summary>BUILD: torch.save sets an OrderedDict's attributes (the module version table `_metadata`); they do not affect tensors.</summary>
    private void Build()
    {
        var state = Pop();
        if (Peek() is not PickleDict { IsOrderedDict: true })
            Fail($"BUILD sets state {PickleValues.Describe(state)} on {PickleValues.Describe(Peek())}; only an OrderedDict's attributes are accepted");
    }

    /// <summary>BINPERSID: <c>('storage', storage class, key, location, numel)</c>. Storages are shared by key (tied weights).</summary>
    private StorageRef PersistentLoad(object? id)
    {
        if (id is not PickleTuple { Items: ["storage", TorchGlobal { Kind: TorchGlobalKind.StorageClass } storageClass, string key, string, var count] })
        {
            Fail($"a persistent id must be ('storage', storage class, key, location, numel) but is {PickleValues.Describe(id)}");
            return null;
        }
        var storage = new StorageRef(key, storageClass.DType, ExpectInt(count, "storage numel"));
        if (storage.ElementCount < 0)
            Fail($"storage '{key}' has a negative element count {storage.ElementCount}");
        if (_storages.TryGetValue(key, out var seen))
        {
            if (seen.ElementType != storage.ElementType || seen.ElementCount != storage.ElementCount)
                Fail($"storage '{key}' is described twice with different types or sizes");
            return seen;
        }
        _storages.Add(key, storage);
        return storage;
    }

    private void ExpectArguments(string function, object?[] args, int least, int most)
    {
        if (args.Length < least || args.Length > most)
            Fail($"{function} is called with {args.Length} arguments; torch.save passes {(least == most ? $"{least}" : $"{least} or {most}")}");
    }

    private StorageRef ExpectStorage(object? value)
    {
        if (value is not StorageRef storage)
        {
            Fail($"a tensor's storage is {PickleValues.Describe(value)}, not a persistent storage reference");
            return null;
        }
        return storage;
    }

    private TensorRef ExpectTensor(object? value, string function)
    {
        if (value is not TensorRef tensor)
        {
            Fail($"{function} wraps {PickleValues.Describe(value)}, not a tensor");
            return null;
        }
        return tensor;
    }

    private long ExpectInt(object? value, string what)
    {
        if (value is not long number)
        {
            Fail($"a tensor's {what} is {PickleValues.Describe(value)}, not an int");
            return 0;
        }
        return number;
    }

    private ImmutableArray<long> ExpectInts(object? value, string what)
    {
        if (value is not PickleTuple tuple)
        {
            Fail($"a tensor's {what} is {PickleValues.Describe(value)}, not a tuple of ints");
            return default;
        }
        var builder = ImmutableArray.CreateBuilder<long>(tuple.Items.Length);
        foreach (var item in tuple.Items)
            builder.Add(ExpectInt(item, what));
        return builder.MoveToImmutable();
    }
}
