using System.Buffers.Binary;
using Thaw.Formats;
using Thaw.Formats.Torch;
using Thaw.Formats.Torch.Pickle;
using Thaw.Tensors;

namespace Thaw.Tests.Torch;

/// <summary>
/// Hand-built pickles: the layouts torch.save writes that the 1.13 fixtures cannot show (rebuild v3, parameters
/// with state, wrappers) and every refusal of the restricted unpickler and the state-dict rules.
/// </summary>
public class TorchPickleTests
{
    private static TorchCheckpointException Rejected(byte[] pickle, TorchCheckpointError reason, string? messagePart = null, params (string Key, byte[] Data)[] storages) =>
        TorchZipStructureTests.Rejected(TorchPickles.Archive(pickle, storages), reason, messagePart);

    private static byte[] Wrap(Action<PickleBuilder> body)
    {
        var b = new PickleBuilder().Proto();
        body(b);
        return b.Stop().ToArray();
    }

    private static (string, byte[]) Storage(string key, int bytes) => (key, Enumerable.Range(0, bytes).Select(i => (byte)i).ToArray());

    [Fact]
    public void ReadsRebuildV3WithAnUntypedStorageAndTheDTypeGlobal()
    {
        // torch >= 2.1 pickles float8/uint16/... tensors this way: UntypedStorage (numel in bytes) plus a dtype global.
        var pickle = TorchPickles.StateDict(
            ("f8", new TensorSpec("UntypedStorage", "0", 6, 2, [2, 2], [2, 1], V3DType: "float8_e4m3fn")),
            ("u16", new TensorSpec("UntypedStorage", "1", 8, 1, [3], [1], V3DType: "uint16", StorageModule: "torch.storage")));
        using var file = new TempCheckpoint(TorchPickles.Archive(pickle, Storage("0", 6), Storage("1", 8)));
        using var checkpoint = TorchCheckpointFile.Open(file.Path);

        Assert.True(checkpoint.TryGetTensor("f8", out var f8));
        Assert.Equal(DType.F8_E4M3, f8.DType);
        Assert.Equal(new byte[] { 2, 3, 4, 5 }, checkpoint.ReadAll(f8));
        Assert.True(checkpoint.TryGetTensor("u16", out var u16));
        Assert.Equal(DType.U16, u16.DType);
        Assert.Equal(new byte[] { 2, 3, 4, 5, 6, 7 }, checkpoint.ReadAll(u16));
    }

    [Fact]
    public void ReadsParametersWithStateAndTensorMetadata()
    {
        var pickle = Wrap(b =>
        {
            b.EmptyDict().Str("p").Global("torch._utils", "_rebuild_parameter_with_state").Mark();
            // _rebuild_tensor_v2 with its optional 7th argument (a metadata dict), as torch 2.x adds for tensors with attributes.
            b.Global("torch._utils", "_rebuild_tensor_v2").Mark();
            b.Mark().Str("storage").Global("torch", "HalfStorage").Str("0").Str("cuda:0").Int(2).Tuple().Op('Q');
            b.Int(0).IntTuple(2).IntTuple(1).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyDict().Tuple().Reduce();
            b.Raw(0x88).Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyDict().Tuple().Reduce().Op('s');
        });
        using var file = new TempCheckpoint(TorchPickles.Archive(pickle, Storage("0", 4)));
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal(DType.F16, Assert.Single(checkpoint.Tensors).DType);
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, checkpoint.ReadAll(checkpoint.Tensors[0]));
    }

    [Theory]
    [InlineData("state_dict")]
    [InlineData("model")]
    public void UnwrapsALoneStateDictOrModelKey(string wrapper)
    {
        var pickle = Wrap(b => b.EmptyDict().Str(wrapper).EmptyDict().Str("w").Tensor(new TensorSpec("CharStorage", "0", 1, 0, [1], [1])).Op('s').Op('s'));
        using var file = new TempCheckpoint(TorchPickles.Archive(pickle, Storage("0", 1)));
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal("w", Assert.Single(checkpoint.Tensors).Name);
    }

    [Fact]
    public void SizeOneDimensionsMayHaveAnyStrideAndEmptyTensorsAnyLayout()
    {
        var pickle = TorchPickles.StateDict(
            ("column", new TensorSpec("FloatStorage", "0", 3, 0, [3, 1], [1, 7])),
            ("empty", new TensorSpec("FloatStorage", "0", 3, 99, [0, 5], [1, 0])));
        using var file = new TempCheckpoint(TorchPickles.Archive(pickle, Storage("0", 12)));
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal(["column", "empty"], checkpoint.Tensors.Select(t => t.Name));
        Assert.Equal(12, checkpoint.Tensors[0].ByteLength);
        Assert.Equal(0, checkpoint.Tensors[1].ByteLength);
    }

    [Theory]
    [InlineData("posix", "system")]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("__builtin__", "exec")]
    [InlineData("subprocess", "Popen")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    [InlineData("torch", "load")]
    [InlineData("torch.nn.modules.linear", "Linear")]
    public void ForbiddenGlobalsAreRefusedByName(string module, string name)
    {
        var pickle = Wrap(b => b.Global(module, name).Str("echo pwned").Raw(0x85).Reduce());
        var error = Rejected(pickle, TorchCheckpointError.GlobalNotAllowed, $"'{module}.{name}'");
        Assert.Contains("offset 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ComplexDoubleStorage")]
    [InlineData("QInt8Storage")]
    [InlineData("complex128")]
    [InlineData("float4_e2m1fn_x2")]
    public void TorchTypesWithoutADTypeAreUnsupported(string name) =>
        Rejected(Wrap(b => b.Global("torch", name)), TorchCheckpointError.UnsupportedDType, $"'torch.{name}'");

    [Theory]
    [InlineData((byte)'i', "Inst (0x69)")]
    [InlineData((byte)'o', "Obj (0x6f)")]
    [InlineData((byte)'0', "Pop (0x30)")]
    [InlineData((byte)'2', "Dup (0x32)")]
    [InlineData((byte)'P', "PersId (0x50)")]
    [InlineData((byte)'S', "String (0x53)")]
    [InlineData((byte)'V', "Unicode (0x56)")]
    [InlineData((byte)'B', "BinBytes (0x42)")]
    [InlineData(0x82, "Ext1 (0x82)")]
    [InlineData(0x92, "NewObjEx (0x92)")]
    [InlineData(0x93, "StackGlobal (0x93)")]
    [InlineData(0x94, "Memoize (0x94)")]
    [InlineData(0x95, "Frame (0x95)")]
    [InlineData(0x8c, "ShortBinUnicode (0x8c)")]
    [InlineData(0x90, "AddItems (0x90)")]
    [InlineData(0xff, "unknown (0xff)")]
    public void OpcodesOutsideTheWeightsOnlySetAreRefused(byte opcode, string name) =>
        Rejected(Wrap(b => b.Raw(opcode)), TorchCheckpointError.PickleOpcodeNotAllowed, $"{name} at offset 2");

    [Fact]
    public void InstOnAForbiddenCallableIsRefusedAtTheOpcode() =>
        Rejected(Wrap(b => b.Mark().Str("echo").Op('i').Raw("os\nsystem\n"u8.ToArray())), TorchCheckpointError.PickleOpcodeNotAllowed, "Inst");

    [Fact]
    public void ReduceOnANonCallableIsRefused() =>
        Rejected(Wrap(b => b.Global("torch", "FloatStorage").EmptyTuple().Reduce()), TorchCheckpointError.PickleStructure, "REDUCE calls torch.FloatStorage");

    [Fact]
    public void ReduceWithoutAnArgumentTupleIsRefused() =>
        Rejected(Wrap(b => b.Global("collections", "OrderedDict").EmptyDict().Reduce()), TorchCheckpointError.PickleStructure, "argument tuple");

    [Fact]
    public void OrderedDictWithArgumentsIsRefused() =>
        Rejected(Wrap(b => b.Global("collections", "OrderedDict").Mark().Int(1).Tuple().Reduce()), TorchCheckpointError.PickleStructure, "called with 1 arguments");

    [Fact]
    public void NewObjCreatesOnlyAnEmptyOrderedDict()
    {
        using (var file = new TempCheckpoint(TorchPickles.Archive(Wrap(b => b.Global("collections", "OrderedDict").EmptyTuple().Raw(0x81)))))
        using (var checkpoint = TorchCheckpointFile.Open(file.Path))
            Assert.Empty(checkpoint.Tensors);
        Rejected(Wrap(b => b.Global("torch._utils", "_rebuild_tensor_v2").EmptyTuple().Raw(0x81)), TorchCheckpointError.PickleStructure, "NEWOBJ");
    }

    [Fact]
    public void BuildOnlySetsOrderedDictAttributes()
    {
        using (var file = new TempCheckpoint(TorchPickles.Archive(Wrap(b => b.Global("collections", "OrderedDict").EmptyTuple().Reduce().EmptyDict().Op('b')))))
        using (var checkpoint = TorchCheckpointFile.Open(file.Path))
            Assert.Empty(checkpoint.Tensors);
        Rejected(Wrap(b => b.EmptyDict().EmptyDict().Op('b')), TorchCheckpointError.PickleStructure, "BUILD");
    }

    [Fact]
    public void AppendAndSetItemNeedTheRightContainer()
    {
        Rejected(Wrap(b => b.EmptyDict().Raw((byte)'N').Op('a')), TorchCheckpointError.PickleStructure, "APPEND needs a list");
        Rejected(Wrap(b => b.EmptyDict().Mark().Raw((byte)'N').Op('e')), TorchCheckpointError.PickleStructure, "APPEND needs a list");
        Rejected(Wrap(b => b.Raw((byte)']').Str("k").Raw((byte)'N').Op('s')), TorchCheckpointError.PickleStructure, "SETITEM needs a dict");
        Rejected(Wrap(b => b.EmptyDict().Mark().Str("k").SetItems()), TorchCheckpointError.PickleStructure, "not key/value pairs");
    }

    [Fact]
    public void ListsAndSetsAreBuiltButAreNotAStateDict()
    {
        Rejected(Wrap(b => b.Raw((byte)']').Raw((byte)'N').Op('a').Mark().Raw(0x88, 0x89).Op('e')), TorchCheckpointError.NotAStateDict, "holds a list");
        Rejected(Wrap(b => b.Raw(0x8f)), TorchCheckpointError.NotAStateDict, "holds a set");
    }

    [Fact]
    public void ScalarOpcodesDecodeAsPicklesSpecificationSays()
    {
        static object? Load(params byte[] value) => RestrictedUnpickler.Load([0x80, 2, .. value, (byte)'.'], "test.pkl");

        Assert.Equal(-1L, Load((byte)'J', 0xff, 0xff, 0xff, 0xff));
        Assert.Equal(0x0201L, Load((byte)'M', 0x01, 0x02));
        Assert.Equal(200L, Load((byte)'K', 200));
        Assert.Equal(0L, Load(0x8a, 0));
        Assert.Equal(-32768L, Load(0x8a, 2, 0x00, 0x80));
        Assert.Equal(255L, Load(0x8a, 2, 0xff, 0x00));
        Assert.Equal(long.MinValue, Load(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80));
        Assert.Equal(Math.PI, Load((byte)'G', 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18));
        Assert.Equal("abc", Load((byte)'U', 3, (byte)'a', (byte)'b', (byte)'c'));
        Assert.Equal("é", Load((byte)'X', 2, 0, 0, 0, 0xc3, 0xa9));
        Assert.Null(Load((byte)'N'));
        Assert.Equal(true, Load(0x88));
        Assert.Equal(false, Load(0x89));
        var tuple = Assert.IsType<PickleTuple>(Load((byte)'K', 1, (byte)'K', 2, 0x86));
        Assert.Equal([1L, 2L], tuple.Items);
        Assert.Empty(Assert.IsType<PickleTuple>(Load((byte)')')).Items);
        Assert.Equal([null], Assert.IsType<PickleList>(Load((byte)']', (byte)'N', (byte)'a')).Items);
        Assert.IsType<PickleEmptySet>(Load(0x8f));
        var dict = Assert.IsType<PickleDict>(Load((byte)'}', (byte)'K', 1, (byte)'N', (byte)'s'));
        Assert.False(dict.IsOrderedDict);
        Assert.Equal(new KeyValuePair<object?, object?>(1L, null), Assert.Single(dict.Entries));
    }

    [Fact]
    public void Long1DecodesTwosComplementAndRefusesMoreThan64Bits()
    {
        // A tensor whose storage numel is LONG1 0xfe ff ff ff ff ff ff ff (-2): refused as a negative count.
        var negative = Wrap(b => b.EmptyDict().Str("w").Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Raw(0x8a, 8, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).Tuple().Op('Q'));
        Rejected(negative, TorchCheckpointError.PickleStructure, "negative element count -2");
        Rejected(Wrap(b => b.Raw(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1)), TorchCheckpointError.PickleStructure, "LONG1 integer has 9 bytes");
    }

    [Fact]
    public void AnAbsurdStringLengthIsRefusedBeforeAllocating()
    {
        var pickle = new PickleBuilder().Proto().Op('X').UInt32(uint.MaxValue).Raw("abc"u8.ToArray()).ToArray();
        Rejected(pickle, TorchCheckpointError.PickleStructure, "claims 4294967295 bytes but only 3 remain");
        Rejected(new PickleBuilder().Proto().Raw((byte)'U', 200, 1, 2).ToArray(), TorchCheckpointError.PickleStructure, "claims 200 bytes");
        Rejected(Wrap(b => b.Raw((byte)'X', 2, 0, 0, 0, 0xc3, 0x28)), TorchCheckpointError.PickleStructure, "not valid UTF-8");
    }

    [Fact]
    public void GlobalNamesMustEndInALineWithinTheLimit()
    {
        Rejected(new PickleBuilder().Proto().Op('c').Raw(new byte[2000]).ToArray(), TorchCheckpointError.PickleStructure, "no line end");
        Rejected(new PickleBuilder().Proto().Op('c').Raw("torch\nFloatStor"u8.ToArray()).ToArray(), TorchCheckpointError.PickleStructure, "no line end");
    }

    [Fact]
    public void TruncatedOperandsAndMissingStopAreRefused()
    {
        Rejected(new PickleBuilder().Proto().Raw((byte)'J', 1, 2).ToArray(), TorchCheckpointError.PickleStructure, "needs 4 bytes");
        Rejected(new PickleBuilder().Proto().EmptyDict().ToArray(), TorchCheckpointError.PickleStructure, "without a STOP");
        Rejected([], TorchCheckpointError.PickleStructure, "without a STOP");
    }

    [Fact]
    public void StopMustLeaveExactlyOneValueAndEndThePickle()
    {
        Rejected(new PickleBuilder().Proto().Stop().ToArray(), TorchCheckpointError.PickleStructure, "STOP leaves 0 values");
        Rejected(new PickleBuilder().Proto().EmptyDict().EmptyDict().Stop().ToArray(), TorchCheckpointError.PickleStructure, "STOP leaves 2 values");
        Rejected(new PickleBuilder().Proto().EmptyDict().Mark().Stop().ToArray(), TorchCheckpointError.PickleStructure, "1 open MARKs");
        Rejected(new PickleBuilder().Proto().EmptyDict().Stop().Raw(0).ToArray(), TorchCheckpointError.PickleStructure, "1 bytes follow the STOP");
    }

    [Fact]
    public void StackUnderflowIsRefused()
    {
        Rejected(Wrap(b => b.Reduce()), TorchCheckpointError.PickleStructure, "empty stack");
        Rejected(Wrap(b => b.EmptyDict().Mark().Reduce()), TorchCheckpointError.PickleStructure, "empty stack");
        Rejected(Wrap(b => b.Raw(0x87)), TorchCheckpointError.PickleStructure, "needs 3 values");
        Rejected(Wrap(b => b.Tuple()), TorchCheckpointError.PickleStructure, "needs a MARK");
        Rejected(Wrap(b => b.Raw((byte)'q', 0)), TorchCheckpointError.PickleStructure, "empty stack");
    }

    [Fact]
    public void MemoReadsNeedAnEarlierWrite()
    {
        Rejected(Wrap(b => b.Raw((byte)'h', 5)), TorchCheckpointError.PickleStructure, "memo entry 5");
        Rejected(Wrap(b => b.EmptyDict().Raw((byte)'r', 1, 0, 0, 0).Raw((byte)'j', 2, 0, 0, 0)), TorchCheckpointError.PickleStructure, "memo entry 2");
    }

    [Fact]
    public void MemoWritesAndReadsShareOneObject()
    {
        // {"a": t, "b": t} where the second value is a memo read of the first (how torch pickles a tensor saved twice).
        var pickle = Wrap(b => b.EmptyDict().Mark().Str("a").Tensor(new TensorSpec("ByteStorage", "0", 2, 0, [2], [1])).Raw((byte)'r', 9, 0, 0, 0)
            .Str("b").Raw((byte)'j', 9, 0, 0, 0).SetItems());
        using var file = new TempCheckpoint(TorchPickles.Archive(pickle, Storage("0", 2)));
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal(["a", "b"], checkpoint.Tensors.Select(t => t.Name));
        Assert.Equal(checkpoint.ReadAll(checkpoint.Tensors[0]), checkpoint.ReadAll(checkpoint.Tensors[1]));
    }

    [Fact]
    public void DeepMarkNestingIsLimited() =>
        Rejected(Wrap(b => b.Raw(Enumerable.Repeat((byte)'(', RestrictedUnpickler.MaxMarkDepth + 1).ToArray())), TorchCheckpointError.PickleLimit, "MARKs nest deeper");

    [Fact]
    public void StackDepthIsLimited() =>
        Rejected(Wrap(b => b.Raw(Enumerable.Repeat((byte)'N', RestrictedUnpickler.MaxStackDepth + 1).ToArray())), TorchCheckpointError.PickleLimit, "stack grows deeper");

    [Fact]
    public void TotalValuesAreLimited()
    {
        var appends = new byte[2 * RestrictedUnpickler.MaxValues];
        for (var i = 0; i < appends.Length; i += 2)
            (appends[i], appends[i + 1]) = ((byte)'N', (byte)'a');
        Rejected(Wrap(b => b.Raw((byte)']').Raw(appends)), TorchCheckpointError.PickleLimit, $"more than {RestrictedUnpickler.MaxValues} values");
    }

    [Fact]
    public void MemoEntriesAreLimited()
    {
        var puts = new byte[5 * (RestrictedUnpickler.MaxMemoEntries + 1)];
        for (var i = 0; i <= RestrictedUnpickler.MaxMemoEntries; i++)
        {
            puts[5 * i] = (byte)'r';
            BinaryPrimitives.WriteInt32LittleEndian(puts.AsSpan(5 * i + 1), i);
        }
        Rejected(Wrap(b => b.EmptyDict().Raw(puts)), TorchCheckpointError.PickleLimit, "memo entries");
    }

    [Fact]
    public void PersistentIdsMustBeStorageTuples()
    {
        Rejected(Wrap(b => b.Int(3).Op('Q')), TorchCheckpointError.PickleStructure, "persistent id must be");
        Rejected(Wrap(b => b.Mark().Str("module").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(1).Tuple().Op('Q')),
            TorchCheckpointError.PickleStructure, "persistent id must be");
        Rejected(Wrap(b => b.Mark().Str("storage").Global("torch", "float32").Str("0").Str("cpu").Int(1).Tuple().Op('Q')),
            TorchCheckpointError.PickleStructure, "persistent id must be");
    }

    [Fact]
    public void AStorageDescribedTwoWaysIsRefused()
    {
        var pickle = TorchPickles.StateDict(
            ("a", new TensorSpec("FloatStorage", "0", 2, 0, [2], [1])),
            ("b", new TensorSpec("IntStorage", "0", 2, 0, [2], [1])));
        Rejected(pickle, TorchCheckpointError.PickleStructure, "storage '0' is described twice", Storage("0", 8));
    }

    [Fact]
    public void RebuildArgumentsAreChecked()
    {
        Rejected(TorchPickles.StateDict(("w", new TensorSpec("UntypedStorage", "0", 4, 0, [4], [1]))),
            TorchCheckpointError.PickleStructure, "untyped storage '0'", Storage("0", 4));
        Rejected(Wrap(b => b.Global("torch._utils", "_rebuild_tensor_v2").Mark().Int(1).Tuple().Reduce()),
            TorchCheckpointError.PickleStructure, "called with 1 arguments; torch.save passes 6 or 7");
        Rejected(Wrap(b => b.Global("torch._utils", "_rebuild_tensor_v2").Mark().Repeat(b2 => b2.Int(0), 6).Tuple().Reduce()),
            TorchCheckpointError.PickleStructure, "not a persistent storage reference");
        Rejected(Wrap(b => b.Global("torch._utils", "_rebuild_tensor_v3").Mark().Repeat(b2 => b2.Int(0), 7).Tuple().Reduce()),
            TorchCheckpointError.PickleStructure, "needs a torch dtype");
        Rejected(Wrap(b => b.Global("torch._utils", "_rebuild_parameter").Mark().Repeat(b2 => b2.Int(0), 3).Tuple().Reduce()),
            TorchCheckpointError.PickleStructure, "wraps int, not a tensor");
    }

    [Fact]
    public void OffsetSizeAndStrideMustBeInts()
    {
        static byte[] Tensor(Action<PickleBuilder> offset, Action<PickleBuilder> size) => Wrap(b =>
        {
            b.Global("torch._utils", "_rebuild_tensor_v2").Mark();
            b.Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(1).Tuple().Op('Q');
            offset(b);
            size(b);
            b.IntTuple(1).False().EmptyDict().Tuple().Reduce();
        });
        Rejected(Tensor(b => b.Str("0"), b => b.IntTuple(1)), TorchCheckpointError.PickleStructure, "storage offset is str");
        Rejected(Tensor(b => b.Int(0), b => b.Int(1)), TorchCheckpointError.PickleStructure, "size is int, not a tuple");
        Rejected(Tensor(b => b.Int(0), b => b.Mark().Raw(0x88).Tuple()), TorchCheckpointError.PickleStructure, "size is bool");
    }

    [Fact]
    public void TheTopLevelMustBeAFlatDictOfTensors()
    {
        var tensor = new TensorSpec("FloatStorage", "0", 1, 0, [1], [1]);
        Rejected(Wrap(b => b.EmptyDict().Int(1).Tensor(tensor).Op('s')), TorchCheckpointError.NotAStateDict, "key is a int", Storage("0", 4));
        Rejected(Wrap(b => b.EmptyDict().Str("w").Tensor(tensor).Op('s').Str("w").Tensor(tensor).Op('s')), TorchCheckpointError.NotAStateDict, "appears twice", Storage("0", 4));
        var error = Rejected(Wrap(b => b.EmptyDict().Str("layer").EmptyDict().Op('s')), TorchCheckpointError.NotAStateDict, "is a dict, not a tensor");
        Assert.Equal("layer", error.TensorName);
        Rejected(Wrap(b => b.Str("weights")), TorchCheckpointError.NotAStateDict, "holds a str");
    }

    [Fact]
    public void AMissingStorageRecordIsRefused()
    {
        var error = Rejected(TorchPickles.StateDict(("w", new TensorSpec("FloatStorage", "7", 1, 0, [1], [1]))),
            TorchCheckpointError.MissingStorage, "'data/7'", Storage("0", 4));
        Assert.Equal("w", error.TensorName);
    }

    [Theory]
    [InlineData(10, 8)]
    [InlineData(2, 9)]
    [InlineData(long.MaxValue / 2, 8)]
    public void AStorageRecordOfTheWrongLengthIsRefused(long numel, int recordBytes) =>
        TorchZipStructureTests.Rejected(TorchPickles.SingleF32(numel, 0, [1], [1], recordBytes), TorchCheckpointError.StorageSizeMismatch, "storage '0'");

    [Theory]
    [InlineData(3, new long[] { 4 }, new long[] { 1 })]
    [InlineData(0, new long[] { 5 }, new long[] { 1 })]
    [InlineData(-1, new long[] { 1 }, new long[] { 1 })]
    [InlineData(long.MaxValue / 2, new long[] { 1 }, new long[] { 1 })]
    public void TensorsReachingPastTheirStorageAreRefused(long offset, long[] size, long[] stride) =>
        TorchZipStructureTests.Rejected(TorchPickles.SingleF32(4, offset, size, stride, 16), TorchCheckpointError.TensorOutOfStorage, "'w'");

    [Theory]
    [InlineData(new long[] { 2, 2 }, new long[] { 1, 2 })]
    [InlineData(new long[] { 2, 2 }, new long[] { 2, 2 })]
    [InlineData(new long[] { 4 }, new long[] { 0 })]
    [InlineData(new long[] { 2 }, new long[] { 2 })]
    public void NonContiguousTensorsAreRefused(long[] size, long[] stride) =>
        TorchZipStructureTests.Rejected(TorchPickles.SingleF32(4, 0, size, stride, 16), TorchCheckpointError.NotContiguous, ".contiguous()");

    [Theory]
    [InlineData(new long[] { -1 }, new long[] { 1 }, "is negative or its byte size overflows")]
    [InlineData(new long[] { long.MaxValue, 4 }, new long[] { 4, 1 }, "is negative or its byte size overflows")]
    [InlineData(new long[] { 2, 2 }, new long[] { 1 }, "2 sizes but 1 strides")]
    public void ImpossibleShapesAreRefused(long[] size, long[] stride, string message) =>
        TorchZipStructureTests.Rejected(TorchPickles.SingleF32(4, 0, size, stride, 16), TorchCheckpointError.PickleStructure, message);

    [Fact]
    public void RankIsLimited() =>
        TorchZipStructureTests.Rejected(TorchPickles.SingleF32(1, 0, new long[65].Select(_ => 1L).ToArray(), new long[65], 4),
            TorchCheckpointError.PickleStructure, "65 dimensions");
}
