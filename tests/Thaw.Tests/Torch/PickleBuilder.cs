using System.Buffers.Binary;
using System.Text;

namespace Thaw.Tests.Torch;

/// <summary>Writes pickle opcodes by hand (Python's pickletools documents each one), to craft pickles torch.save would not write.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _bytes = [];

    public PickleBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBuilder Op(char opcode) => Raw((byte)opcode);

    public PickleBuilder Proto(byte version = 2) => Raw(0x80, version);

    public PickleBuilder Global(string module, string name) => Op('c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder Str(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return Op('X').UInt32((uint)utf8.Length).Raw(utf8);
    }

    public PickleBuilder Int(long value)
    {
        if (value is >= 0 and <= byte.MaxValue)
            return Raw((byte)'K', (byte)value);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
            return Op('J').Raw(bytes);
        }
        var wide = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(wide, value);
        return Raw(0x8a, 8).Raw(wide);
    }

    public PickleBuilder UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Raw(bytes);
    }

    public PickleBuilder Mark() => Op('(');

    public PickleBuilder Tuple() => Op('t');

    public PickleBuilder EmptyTuple() => Op(')');

    public PickleBuilder Reduce() => Op('R');

    public PickleBuilder EmptyDict() => Op('}');

    public PickleBuilder SetItems() => Op('u');

    public PickleBuilder False() => Raw(0x89);

    public PickleBuilder Stop() => Op('.');

    /// <summary>A tuple of ints, as MARK ... TUPLE.</summary>
    public PickleBuilder IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values)
            Int(v);
        return Tuple();
    }

    public PickleBuilder Repeat(Action<PickleBuilder> add, int count)
    {
        for (var i = 0; i < count; i++)
            add(this);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
