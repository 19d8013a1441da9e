using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Thaw.Formats.Torch.Zip;

/// <summary>
/// A minimal, validating zip directory reader for torch checkpoints: end of central directory (with the ZIP64
/// locator and record torch always writes), central directory entries (with ZIP64 extra fields) and local
/// headers, which give each entry's data offset. Only stored entries are accepted: Thaw never inflates, so a
/// compressed entry cannot expand into a zip bomb, and stored data can be read lazily in place.
/// System.IO.Compression.ZipArchive is not used because it does not expose where an entry's data starts, which
/// positional, thread-safe tensor reads need. CRC-32s are not verified: that would read every tensor at open time,
/// and a corrupted value cannot make the reader go out of bounds.
/// </summary>
internal static class StoredZipDirectory
{
    /// <summary>More entries than any real checkpoint has (one per storage plus a few records).</summary>
    internal const int MaxEntries = 1 << 20;

    /// <summary>Upper bound on the central directory read into memory.</summary>
    internal const long MaxCentralDirectoryBytes = 64L << 20;

    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const int EndSize = 22;
    private const int MaxCommentLength = ushort.MaxValue;
    private const int Zip64LocatorSize = 20;
    private const int Zip64EndSize = 56;
    private const int CentralHeaderSize = 46;
    private const int LocalHeaderSize = 30;
    private const ushort Zip64ExtraId = 0x0001;
    private const ushort EncryptedFlag = 0x0001;
    private const ushort StoredMethod = 0;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and validates the directory; entries are returned in central directory order.</summary>
    public static IReadOnlyList<ZipEntry> Read(SafeFileHandle file, long fileLength, string path)
    {
        var (centralOffset, centralSize, entryCount) = ReadEnd(file, fileLength, path);
        var central = FileRanges.ReadArray(file, centralOffset, (int)centralSize, path);
        var entries = new List<ZipEntry>(entryCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var position = 0;
        for (var i = 0; i < entryCount; i++)
        {
            var (entry, nameBytes, next) = ReadCentralEntry(central, position, i, centralOffset, path);
            if (!names.Add(entry.Name))
                Fail(path, $"zip entry '{entry.Name}' appears twice in the central directory");
            entries.Add(ReadLocalHeader(file, entry, nameBytes, centralOffset, path));
            position = next;
        }
        if (position != central.Length)
            Fail(path, $"the central directory holds {central.Length - position} bytes after its {entryCount} entries");
        RejectOverlaps(entries, path);
        return entries;
    }

    private static (long Offset, long Size, int Count) ReadEnd(SafeFileHandle file, long fileLength, string path)
    {
        var tailLength = (int)Math.Min(fileLength, EndSize + MaxCommentLength);
        var tail = FileRanges.ReadArray(file, fileLength - tailLength, tailLength, path);
        var at = FindEnd(tail);
        if (at < 0)
            Fail(path, "no end-of-central-directory record at the end of the file; it is truncated or not a zip archive");
        var endPosition = fileLength - tailLength + at;
        var record = tail.AsSpan(at, EndSize);
        var disk = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]);
        var centralDisk = BinaryPrimitives.ReadUInt16LittleEndian(record[6..]);
        ulong diskEntries = BinaryPrimitives.ReadUInt16LittleEndian(record[8..]);
        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        ulong size = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        ulong offset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        var directoryEnd = endPosition;

        var zip64 = TryReadZip64End(file, endPosition, path);
        if (zip64 is { } z)
        {
            (diskEntries, entries, size, offset) = (z.DiskEntries, z.Entries, z.Size, z.Offset);
            directoryEnd = z.RecordOffset;
            if (z.Disk != 0 || z.CentralDisk != 0)
                Fail(path, $"the archive spans several disks (ZIP64 disk {z.Disk}, directory disk {z.CentralDisk}); only single-file archives are read");
        }
        else if (entries == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue)
        {
            Fail(path, "the end-of-central-directory record holds ZIP64 placeholders but there is no ZIP64 locator");
        }

        if (disk != 0 || centralDisk != 0)
            Fail(path, $"the archive spans several disks (disk {disk}, directory disk {centralDisk}); only single-file archives are read");
        if (diskEntries != entries)
            Fail(path, $"the directory counts {diskEntries} entries on this disk but {entries} in total");
        if (entries > MaxEntries)
            Fail(path, $"the central directory claims {entries} entries; the limit is {MaxEntries}");
        if (size > (ulong)MaxCentralDirectoryBytes)
            Fail(path, $"the central directory claims {size} bytes; the limit is {MaxCentralDirectoryBytes}");
        if (entries * CentralHeaderSize > size)
            Fail(path, $"the central directory claims {entries} entries in {size} bytes, less than {CentralHeaderSize} bytes each");
        if (offset > (ulong)directoryEnd || size != (ulong)directoryEnd - offset)
            Fail(path, $"the central directory [{offset}, {offset}+{size}) does not end where its end record starts (byte {directoryEnd})");
        return ((long)offset, (long)size, (int)entries);
    }

    /// <summary>Position of the end record: the last signature whose comment reaches exactly to the end of the file.</summary>
    private static int FindEnd(byte[] tail)
    {
        for (var at = tail.Length - EndSize; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) == EndSignature
                && at + EndSize + BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 20)) == tail.Length)
            {
                return at;
            }
        }
        return -1;
    }

    private readonly record struct Zip64End(
        long RecordOffset, uint Disk, uint CentralDisk, ulong DiskEntries, ulong Entries, ulong Size, ulong Offset);

    private static Zip64End? TryReadZip64End(SafeFileHandle file, long endPosition, string path)
    {
        if (endPosition < Zip64LocatorSize)
            return null;
        Span<byte> locator = stackalloc byte[Zip64LocatorSize];
        FileRanges.ReadExactly(file, endPosition - Zip64LocatorSize, locator, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
            return null;
        var recordOffset = BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]);
        var totalDisks = BinaryPrimitives.ReadUInt32LittleEndian(locator[16..]);
        if (totalDisks > 1)
            Fail(path, $"the ZIP64 locator says the archive has {totalDisks} disks; only single-file archives are read");
        var recordLimit = (ulong)(endPosition - Zip64LocatorSize);
        if (recordOffset > recordLimit || recordLimit - recordOffset < Zip64EndSize)
            Fail(path, $"the ZIP64 end record at byte {recordOffset} does not fit before its locator (byte {recordLimit})");

        Span<byte> record = stackalloc byte[Zip64EndSize];
        FileRanges.ReadExactly(file, (long)recordOffset, record, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
            Fail(path, $"no ZIP64 end-of-central-directory record at byte {recordOffset}, where the locator points");
        var recordSize = BinaryPrimitives.ReadUInt64LittleEndian(record[4..]);
        if (recordSize != recordLimit - recordOffset - 12)
            Fail(path, $"the ZIP64 end record claims {recordSize} bytes but {recordLimit - recordOffset - 12} lie before its locator");
        return new Zip64End(
            (long)recordOffset,
            BinaryPrimitives.ReadUInt32LittleEndian(record[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(record[20..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[40..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[48..]));
    }

    private static (ZipEntry Entry, byte[] NameBytes, int Next) ReadCentralEntry(
        byte[] central, int position, int index, long centralOffset, string path)
    {
        var span = central.AsSpan();
        if (span.Length - position < CentralHeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(span[position..]) != CentralHeaderSignature)
            Fail(path, $"central directory entry {index} at byte {centralOffset + position} has no valid header");
        var header = span.Slice(position, CentralHeaderSize);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        var method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
        ulong compressedSize = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        ulong size = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
        int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
        uint diskStart = BinaryPrimitives.ReadUInt16LittleEndian(header[34..]);
        ulong localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);

        var next = position + CentralHeaderSize + nameLength + extraLength + commentLength;
        if (next > span.Length)
            Fail(path, $"central directory entry {index} runs past the end of the directory");
        var nameBytes = span.Slice(position + CentralHeaderSize, nameLength).ToArray();
        var name = DecodeName(nameBytes, index, path);
        var extra = span.Slice(position + CentralHeaderSize + nameLength, extraLength);
        ApplyZip64Extra(extra, ref size, ref compressedSize, ref localOffset, ref diskStart, name, path);

        if ((flags & EncryptedFlag) != 0)
            Fail(path, $"zip entry '{name}' is encrypted; torch never writes encrypted entries");
        if (method != StoredMethod)
        {
            TorchCheckpointException.Throw(TorchCheckpointError.CompressedEntry, path,
                $"zip entry '{name}' is compressed (method {method}); torch writes stored entries and Thaw never inflates — re-save the checkpoint with torch.save or convert it to safetensors");
        }
        if (compressedSize != size)
            Fail(path, $"stored zip entry '{name}' has {compressedSize} compressed bytes but {size} uncompressed");
        if (diskStart != 0)
            Fail(path, $"zip entry '{name}' starts on disk {diskStart}; only single-file archives are read");
        if (localOffset >= (ulong)centralOffset || size > (ulong)centralOffset)
            Fail(path, $"zip entry '{name}' (header at byte {localOffset}, {size} bytes) lies outside the data area before the central directory (byte {centralOffset})");
        return (new ZipEntry(name, (long)localOffset, 0, (long)size), nameBytes, next);
    }

    private static string DecodeName(byte[] nameBytes, int index, string path)
    {
        try
        {
            return StrictUtf8.GetString(nameBytes);
        }
        catch (DecoderFallbackException)
        {
            Fail(path, $"the name of zip entry {index} is not valid UTF-8");
            return "";
        }
    }

    /// <summary>Replaces the 32-bit placeholders (all ones) with the 64-bit values of the ZIP64 extra field, in the order the format fixes.</summary>
    private static void ApplyZip64Extra(
        ReadOnlySpan<byte> extra, ref ulong size, ref ulong compressedSize, ref ulong localOffset, ref uint diskStart, string name, string path)
    {
        var needSize = size == uint.MaxValue;
        var needCompressed = compressedSize == uint.MaxValue;
        var needOffset = localOffset == uint.MaxValue;
        var needDisk = diskStart == ushort.MaxValue;
        if (!(needSize || needCompressed || needOffset || needDisk))
            return;
        var field = FindExtraField(extra, Zip64ExtraId, name, path);
        var required = (needSize ? 8 : 0) + (needCompressed ? 8 : 0) + (needOffset ? 8 : 0) + (needDisk ? 4 : 0);
        if (field.Length < required)
            Fail(path, $"zip entry '{name}' uses ZIP64 placeholders but its ZIP64 extra field has {field.Length} bytes, not {required}");
        var at = 0;
        if (needSize)
            size = ReadUInt64(field, ref at);
        if (needCompressed)
            compressedSize = ReadUInt64(field, ref at);
        if (needOffset)
            localOffset = ReadUInt64(field, ref at);
        if (needDisk)
            diskStart = BinaryPrimitives.ReadUInt32LittleEndian(field[at..]);
    }

    private static ulong ReadUInt64(ReadOnlySpan<byte> field, ref int at)
    {
        var value = BinaryPrimitives.ReadUInt64LittleEndian(field[at..]);
        at += 8;
        return value;
    }

    private static ReadOnlySpan<byte> FindExtraField(ReadOnlySpan<byte> extra, ushort id, string name, string path)
    {
        while (extra.Length >= 4)
        {
            var fieldId = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4)
                Fail(path, $"an extra field of zip entry '{name}' runs past the end of its header");
            if (fieldId == id)
                return extra.Slice(4, length);
            extra = extra[(4 + length)..];
        }
        Fail(path, $"zip entry '{name}' uses ZIP64 placeholders but has no ZIP64 extra field");
        return default;
    }

    /// <summary>Finds the data offset from the local header, which must agree with the central directory on name and method.</summary>
    private static ZipEntry ReadLocalHeader(SafeFileHandle file, ZipEntry entry, byte[] nameBytes, long centralOffset, string path)
    {
        if (entry.LocalHeaderOffset > centralOffset - LocalHeaderSize - nameBytes.Length)
            Fail(path, $"the local header of zip entry '{entry.Name}' at byte {entry.LocalHeaderOffset} runs into the central directory");
        var header = FileRanges.ReadArray(file, entry.LocalHeaderOffset, LocalHeaderSize + nameBytes.Length, path).AsSpan();
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeaderSignature)
            Fail(path, $"zip entry '{entry.Name}' has no local header at byte {entry.LocalHeaderOffset}");
        var method = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[26..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        if (method != StoredMethod)
            Fail(path, $"the local header of zip entry '{entry.Name}' says method {method}, the central directory says stored");
        if (!header[LocalHeaderSize..].SequenceEqual(nameBytes) || nameLength != nameBytes.Length)
            Fail(path, $"the local header of zip entry '{entry.Name}' names a different entry");
        var dataOffset = entry.LocalHeaderOffset + LocalHeaderSize + nameLength + extraLength;
        if (entry.Length > centralOffset - dataOffset)
            Fail(path, $"the data of zip entry '{entry.Name}' [{dataOffset}, {dataOffset}+{entry.Length}) runs into the central directory at byte {centralOffset}");
        return entry with { DataOffset = dataOffset };
    }

    /// <summary>Entries may not share bytes: overlapping entries are how zip bombs and polyglots are built.</summary>
    private static void RejectOverlaps(List<ZipEntry> entries, string path)
    {
        var byPosition = entries.OrderBy(e => e.LocalHeaderOffset).ToList();
        for (var i = 1; i < byPosition.Count; i++)
        {
            var (previous, current) = (byPosition[i - 1], byPosition[i]);
            if (previous.DataEnd > current.LocalHeaderOffset)
                Fail(path, $"zip entries '{previous.Name}' (ends at byte {previous.DataEnd}) and '{current.Name}' (starts at byte {current.LocalHeaderOffset}) overlap");
        }
    }

    [DoesNotReturn]
    private static void Fail(string path, string detail) =>
        TorchCheckpointException.Throw(TorchCheckpointError.ZipStructure, path, detail);
}
