using System.Buffers.Binary;
using System.Text;

namespace Thaw.Tests.Torch;

/// <summary>
/// A record for <see cref="TestZip"/>. <paramref name="SparseLength"/> leaves a hole of that many zero bytes instead of
/// <paramref name="Data"/>; <paramref name="Zip64Extra"/> puts the central directory's sizes and offset in a ZIP64 extra
/// field of that many bytes (24 holds all three) behind 32-bit placeholders, as writers do for entries past 4 GiB.
/// </summary>
internal sealed record ZipRecord(string Name, byte[] Data, ushort Method = 0, ushort Flags = 0, long SparseLength = -1, int Zip64Extra = 0)
{
    public long Length => SparseLength >= 0 ? SparseLength : Data.Length;
}

/// <summary>
/// Writes plain (non-ZIP64) zip archives from the format description, to craft inputs torch would never write:
/// compressed or encrypted flags, odd names, huge sparse records. CRCs are zero; the reader does not check them.
/// </summary>
internal static class TestZip
{
    public static byte[] Build(params ZipRecord[] records)
    {
        using var stream = new MemoryStream();
        Write(stream, records);
        return stream.ToArray();
    }

    public static void Write(Stream output, IReadOnlyList<ZipRecord> records)
    {
        var offsets = new List<long>();
        foreach (var record in records)
        {
            offsets.Add(output.Position);
            var name = Encoding.UTF8.GetBytes(record.Name);
            output.Write(Header(0x04034b50, 30, record, name, localOffset: 0));
            output.Write(name);
            if (record.SparseLength >= 0)
            {
                output.Position += record.SparseLength;
                output.SetLength(output.Position);
            }
            else
            {
                output.Write(record.Data);
            }
        }
        var centralOffset = output.Position;
        for (var i = 0; i < records.Count; i++)
        {
            var name = Encoding.UTF8.GetBytes(records[i].Name);
            output.Write(Header(0x02014b50, 46, records[i], name, offsets[i]));
            output.Write(name);
            if (records[i].Zip64Extra > 0)
                output.Write(Zip64ExtraField(records[i], offsets[i]));
        }
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)records.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)records.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)(output.Position - centralOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), (uint)centralOffset);
        output.Write(end);
    }

    private static byte[] Header(uint signature, int size, ZipRecord record, byte[] name, long localOffset)
    {
        var header = new byte[size];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, signature);
        // Local and central headers share the fields from "flags" on, shifted by two bytes ("version made by").
        var shift = signature == 0x02014b50 ? 2 : 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[(4 + shift)..], 20);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(6 + shift)..], record.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(8 + shift)..], record.Method);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(18 + shift)..], (uint)record.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(22 + shift)..], (uint)record.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(26 + shift)..], (ushort)name.Length);
        if (shift != 0)
            BinaryPrimitives.WriteUInt32LittleEndian(span[42..], (uint)localOffset);
        if (shift != 0 && record.Zip64Extra > 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[20..], uint.MaxValue);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], uint.MaxValue);
            BinaryPrimitives.WriteUInt32LittleEndian(span[42..], uint.MaxValue);
            BinaryPrimitives.WriteUInt16LittleEndian(span[30..], (ushort)(4 + record.Zip64Extra));
        }
        return header;
    }

    /// <summary>Extra field 0x0001: uncompressed size, compressed size, local header offset (truncated to the requested length).</summary>
    private static byte[] Zip64ExtraField(ZipRecord record, long localOffset)
    {
        var field = new byte[4 + 24];
        BinaryPrimitives.WriteUInt16LittleEndian(field, 0x0001);
        BinaryPrimitives.WriteUInt16LittleEndian(field.AsSpan(2), (ushort)record.Zip64Extra);
        BinaryPrimitives.WriteUInt64LittleEndian(field.AsSpan(4), (ulong)record.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(field.AsSpan(12), (ulong)record.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(field.AsSpan(20), (ulong)localOffset);
        return field[..(4 + record.Zip64Extra)];
    }
}
