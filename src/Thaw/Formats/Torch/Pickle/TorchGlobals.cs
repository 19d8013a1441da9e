using System.Collections.Frozen;
using Thaw.Tensors;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>
/// The allow-list of pickle globals: the names a state dict needs, mapped to tags. Every other global is refused
/// by name, so a checkpoint can never make the reader import or call anything.
/// </summary>
internal static class TorchGlobals
{
    /// <summary>Modules whose globals run system code (torch always blocks the first four); the error calls these a likely attack.</summary>
    private static readonly FrozenSet<string> BlockedModules = FrozenSet.ToFrozenSet(["sys", "os", "posix", "nt", "builtins", "subprocess"], StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, TorchGlobal> Allowed = BuildAllowList();

    /// <summary>torch storage classes and dtypes that exist but that Thaw has no element type for.</summary>
    private static readonly FrozenSet<string> UnsupportedTorchTypes = FrozenSet.ToFrozenSet(
    [
        "torch.ComplexDoubleStorage", "torch.QInt8Storage", "torch.QUInt8Storage", "torch.QInt32Storage",
        "torch.QUInt4x2Storage", "torch.QUInt2x4Storage",
        "torch.complex128", "torch.complex32", "torch.qint8", "torch.quint8", "torch.qint32", "torch.quint4x2",
        "torch.quint2x4", "torch.float4_e2m1fn_x2", "torch.bits1x8", "torch.bits2x4", "torch.bits4x2", "torch.bits8",
        "torch.bits16", "torch.uint1", "torch.uint2", "torch.uint3", "torch.uint4", "torch.uint5", "torch.uint6",
        "torch.uint7", "torch.int1", "torch.int2", "torch.int3", "torch.int4", "torch.int5", "torch.int6", "torch.int7",
    ], StringComparer.Ordinal);

    /// <summary>Maps GLOBAL <paramref name="module"/> <paramref name="name"/> to its tag, or throws naming the global.</summary>
    public static TorchGlobal Resolve(string module, string name, long offset, string path)
    {
        var qualified = $"{module}.{name}";
        if (Allowed.TryGetValue(qualified, out var global))
            return global;
        if (UnsupportedTorchTypes.Contains(qualified))
        {
            TorchCheckpointException.Throw(TorchCheckpointError.UnsupportedDType, path,
                $"the checkpoint stores '{qualified}' data (pickle offset {offset}), which Thaw does not read; convert those tensors to a standard dtype before saving");
        }
        var why = BlockedModules.Contains(module) ? "it would run system code; the file is likely malicious" : "it is not on the allow-list of tensor rebuild functions, storage classes, dtypes and collections.OrderedDict";
        TorchCheckpointException.Throw(TorchCheckpointError.GlobalNotAllowed, path,
            $"the pickle references global '{qualified}' at offset {offset}; {why}. Nothing was executed — load it only if you trust it, or convert it to safetensors in a sandbox");
        return null;
    }

    private static FrozenDictionary<string, TorchGlobal> BuildAllowList()
    {
        var globals = new List<TorchGlobal>
        {
            new("collections.OrderedDict", TorchGlobalKind.OrderedDict),
            new("torch._utils._rebuild_tensor_v2", TorchGlobalKind.RebuildTensorV2),
            new("torch._utils._rebuild_tensor_v3", TorchGlobalKind.RebuildTensorV3),
            new("torch._utils._rebuild_parameter", TorchGlobalKind.RebuildParameter),
            new("torch._utils._rebuild_parameter_with_state", TorchGlobalKind.RebuildParameterWithState),
            // torch 2.x pickles the untyped storage class under either module name, depending on the version.
            new("torch.UntypedStorage", TorchGlobalKind.StorageClass),
            new("torch.storage.UntypedStorage", TorchGlobalKind.StorageClass),
        };
        (string Name, DType DType)[] storageClasses =
        [
            ("FloatStorage", DType.F32), ("DoubleStorage", DType.F64), ("HalfStorage", DType.F16),
            ("BFloat16Storage", DType.BF16), ("LongStorage", DType.I64), ("IntStorage", DType.I32),
            ("ShortStorage", DType.I16), ("CharStorage", DType.I8), ("ByteStorage", DType.U8),
            ("BoolStorage", DType.Bool), ("ComplexFloatStorage", DType.C64),
        ];
        foreach (var (name, dtype) in storageClasses)
            globals.Add(new TorchGlobal($"torch.{name}", TorchGlobalKind.StorageClass, dtype));
        foreach (var dtype in Enum.GetValues<DType>())
        {
            // torch's float4_e2m1fn_x2 packs two values per element, unlike Thaw's F4, and torch has no 6-bit floats.
            if (DTypes.IsByteAligned(dtype))
                globals.Add(new TorchGlobal($"torch.{DTypes.TorchName(dtype)}", TorchGlobalKind.DType, dtype));
        }
        return globals.ToFrozenDictionary(g => g.QualifiedName, StringComparer.Ordinal);
    }
}
