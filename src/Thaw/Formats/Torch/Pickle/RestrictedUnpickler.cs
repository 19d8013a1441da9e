using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Thaw.Formats.Torch.Pickle;

/// <summary>
/// A pickle reader for torch state dicts modelled on torch's weights-only unpickler: it executes only the opcodes
/// that unpickler accepts, resolves GLOBALs through an allow-list of tags (<see cref="TorchGlobals"/>), and
/// "calls" only the tensor rebuild functions and OrderedDict, by building descriptors. Nothing is imported or run.
/// A general unpickler such as Razorvine.Pickle is deliberately not used: it accepts every opcode and constructs
/// any registered class, a deny-by-exception design, whereas a checkpoint reader must be allow-list only.
/// Every count is bounded, so a hostile pickle fails fast instead of exhausting memory.
/// </summary>
internal sealed partial class RestrictedUnpickler
{
    /// <summary>Values pushed in total; a real state dict pushes about 30 per tensor.</summary>
    internal const int MaxValues = 1 << 22;

    /// <summary>Deepest value stack.</summary>
    internal const int MaxStackDepth = 1 << 20;

    /// <summary>Deepest MARK nesting; torch's pickles nest three deep.</summary>
    internal const int MaxMarkDepth = 1 << 12;

    /// <summary>Memo entries.</summary>
    internal const int MaxMemoEntries = 1 << 22;

    /// <summary>Longest GLOBAL module or name line.</summary>
    private const int MaxGlobalLineBytes = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _path;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<uint, object?> _memo = [];
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);
    private int _position;
    private int _opcodeOffset;
    private int _values;

    private RestrictedUnpickler(byte[] data, string path)
    {
        _data = data;
        _path = path;
    }

    /// <summary>Unpickles <paramref name="data"/> (a torch data.pkl) into plain values and tensor descriptors.</summary>
    public static object? Load(byte[] data, string path) => new RestrictedUnpickler(data, path).Run();

    private object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length)
                Fail("the pickle ends without a STOP opcode; data.pkl is truncated");
            _opcodeOffset = _position;
            var opcode = (PickleOpcode)_data[_position++];
            switch (opcode)
            {
                case PickleOpcode.Proto:
                    ReadBytes(1);
                    break;
                case PickleOpcode.Stop:
                    return Finish();
                case PickleOpcode.Global:
                    var module = ReadLine();
                    Push(TorchGlobals.Resolve(module, ReadLine(), _opcodeOffset, _path));
                    break;
                case PickleOpcode.NewObj:
                    NewObject();
                    break;
                case PickleOpcode.Reduce:
                    var arguments = Pop();
                    _stack[^1] = Call(Peek(), arguments);
                    break;
                case PickleOpcode.Build:
                    Build();
                    break;
                case PickleOpcode.Append:
                    var item = Pop();
                    ListTarget().Add(item);
                    break;
                case PickleOpcode.Appends:
                    var items = PopMark();
                    ListTarget().AddRange(items);
                    break;
                case PickleOpcode.SetItem:
                    var value = Pop();
                    var key = Pop();
                    DictTarget().Add(new(key, value));
                    break;
                case PickleOpcode.SetItems:
                    SetItems(PopMark());
                    break;
                case PickleOpcode.Mark:
                    if (_marks.Count >= MaxMarkDepth)
                        FailLimit($"MARKs nest deeper than {MaxMarkDepth}");
                    _marks.Add(_stack.Count);
                    break;
                case PickleOpcode.Tuple:
                    Push(new PickleTuple(PopMark()));
                    break;
                case PickleOpcode.Tuple1:
                case PickleOpcode.Tuple2:
                case PickleOpcode.Tuple3:
                    Push(new PickleTuple(PopTop(opcode - PickleOpcode.Tuple1 + 1)));
                    break;
                case PickleOpcode.None:
                    Push(null);
                    break;
                case PickleOpcode.NewTrue:
                    Push(true);
                    break;
                case PickleOpcode.NewFalse:
                    Push(false);
                    break;
                case PickleOpcode.EmptyTuple:
                    Push(new PickleTuple([]));
                    break;
                case PickleOpcode.EmptyList:
                    Push(new PickleList());
                    break;
                case PickleOpcode.EmptyDict:
                    Push(new PickleDict(isOrderedDict: false));
                    break;
                case PickleOpcode.EmptySet:
                    Push(new PickleEmptySet());
                    break;
                case PickleOpcode.BinInt:
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)));
                    break;
                case PickleOpcode.BinInt1:
                    Push((long)ReadBytes(1)[0]);
                    break;
                case PickleOpcode.BinInt2:
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)));
                    break;
                case PickleOpcode.Long1:
                    Push(ReadLong1());
                    break;
                case PickleOpcode.BinFloat:
                    Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8)));
                    break;
                case PickleOpcode.BinUnicode:
                    Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))));
                    break;
                case PickleOpcode.ShortBinString:
                    Push(ReadString(ReadBytes(1)[0]));
                    break;
                case PickleOpcode.BinPersId:
                    Push(PersistentLoad(Pop()));
                    break;
                case PickleOpcode.BinGet:
                    Push(MemoGet(ReadBytes(1)[0]));
                    break;
                case PickleOpcode.LongBinGet:
                    Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))));
                    break;
                case PickleOpcode.BinPut:
                    MemoPut(ReadBytes(1)[0]);
                    break;
                case PickleOpcode.LongBinPut:
                    MemoPut(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)));
                    break;
                default:
                    var name = Enum.IsDefined(opcode) ? opcode.ToString() : "unknown";
                    TorchCheckpointException.Throw(TorchCheckpointError.PickleOpcodeNotAllowed, _path,
                        $"pickle opcode {name} (0x{(byte)opcode:x2}) at offset {_opcodeOffset} is not allowed; torch's weights-only loader refuses it too — re-save the state dict with torch.save's default protocol 2 or convert it to safetensors");
                    return null;
            }
        }
    }

    private object? Finish()
    {
        if (_marks.Count != 0 || _stack.Count != 1)
            Fail($"STOP leaves {_stack.Count} values and {_marks.Count} open MARKs; exactly one value was expected");
        if (_position != _data.Length)
            Fail($"{_data.Length - _position} bytes follow the STOP opcode");
        return _stack[0];
    }

    private void SetItems(object?[] items)
    {
        if (items.Length % 2 != 0)
            Fail($"SETITEMS has {items.Length} values, not key/value pairs");
        var entries = DictTarget();
        for (var i = 0; i < items.Length; i += 2)
            entries.Add(new(items[i], items[i + 1]));
    }

    private List<object?> ListTarget() =>
        Peek() is PickleList list ? list.Items : FailTarget<List<object?>>("APPEND", "a list");

    private List<KeyValuePair<object?, object?>> DictTarget() =>
        Peek() is PickleDict dict ? dict.Entries : FailTarget<List<KeyValuePair<object?, object?>>>("SETITEM", "a dict");

    [DoesNotReturn]
    private T FailTarget<T>(string opcode, string expected)
    {
        Fail($"{opcode} needs {expected} under it but found {PickleValues.Describe(Peek())}");
        return default;
    }

    private void Push(object? value)
    {
        if (++_values > MaxValues)
            FailLimit($"more than {MaxValues} values; no state dict needs that many");
        if (_stack.Count >= MaxStackDepth)
            FailLimit($"the stack grows deeper than {MaxStackDepth}");
        _stack.Add(value);
    }

    private object? Pop()
    {
        var floor = _marks.Count == 0 ? 0 : _marks[^1];
        if (_stack.Count <= floor)
            Fail("an opcode pops from an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        var floor = _marks.Count == 0 ? 0 : _marks[^1];
        if (_stack.Count <= floor)
            Fail("an opcode reads from an empty stack");
        return _stack[^1];
    }

    private object?[] PopTop(int count)
    {
        var floor = _marks.Count == 0 ? 0 : _marks[^1];
        if (_stack.Count - floor < count)
            Fail($"an opcode needs {count} values but the stack holds {_stack.Count - floor}");
        return PopFrom(_stack.Count - count);
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0)
            Fail("an opcode needs a MARK but none is open");
        var start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return PopFrom(start);
    }

    private object?[] PopFrom(int start)
    {
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object? MemoGet(uint index)
    {
        if (!_memo.TryGetValue(index, out var value))
            Fail($"memo entry {index} is read before it is written");
        return value;
    }

    private void MemoPut(uint index)
    {
        var value = Peek();
        if (_memo.Count >= MaxMemoEntries && !_memo.ContainsKey(index))
            FailLimit($"more than {MaxMemoEntries} memo entries");
        _memo[index] = value;
    }

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > _data.Length - _position)
            Fail($"the pickle ends inside an operand that needs {count} bytes ({_data.Length - _position} remain)");
        var bytes = _data.AsSpan(_position, count);
        _position += count;
        return bytes;
    }

    private string ReadString(uint length)
    {
        if (length > _data.Length - _position)
            Fail($"a string claims {length} bytes but only {_data.Length - _position} remain");
        var bytes = ReadBytes((int)length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            Fail("a string is not valid UTF-8");
            return "";
        }
    }

    private string ReadLine()
    {
        var rest = _data.AsSpan(_position, Math.Min(_data.Length - _position, MaxGlobalLineBytes + 1));
        var end = rest.IndexOf((byte)'\n');
        if (end < 0)
            Fail($"a GLOBAL name has no line end within {MaxGlobalLineBytes} bytes");
        var line = ReadString((uint)end);
        _position++;
        return line;
    }

    /// <summary>LONG1: a little-endian two's-complement integer of 0 to 255 bytes; more than 64 bits is refused.</summary>
    private long ReadLong1()
    {
        var bytes = ReadBytes(ReadBytes(1)[0]);
        if (bytes.Length > sizeof(long))
            Fail($"a LONG1 integer has {bytes.Length} bytes; no checkpoint value needs more than 8");
        if (bytes.IsEmpty)
            return 0;
        Span<byte> padded = stackalloc byte[sizeof(long)];
        padded.Fill((bytes[^1] & 0x80) != 0 ? (byte)0xff : (byte)0);
        bytes.CopyTo(padded);
        return BinaryPrimitives.ReadInt64LittleEndian(padded);
    }

    [DoesNotReturn]
    private void Fail(string detail) =>
        TorchCheckpointException.Throw(TorchCheckpointError.PickleStructure, _path, $"{detail} (pickle offset {_opcodeOffset})");

    [DoesNotReturn]
    private void FailLimit(string detail) =>
        TorchCheckpointException.Throw(TorchCheckpointError.PickleLimit, _path, $"the pickle has {detail} (pickle offset {_opcodeOffset})");
}
