using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Thaw.Formats.Torch.Zip;

namespace Thaw.Formats.Torch;

/// <summary>
/// The records of a torch.save zip archive. Every entry lives under one top folder, named after the file stem
/// when torch saved to a path ("pytorch_model/") and "archive/" when it saved to a buffer, so the folder is taken
/// from the first entry rather than assumed.
/// </summary>
internal sealed class TorchArchive
{
    /// <summary>data.pkl is read whole; real ones are kilobytes to a few megabytes.</summary>
    internal const int MaxPickleBytes = 256 << 20;

    private const string StoragePrefix = "data/";
    private const int MaxByteOrderBytes = 16;

    private TorchArchive(ZipEntry pickle, Dictionary<string, ZipEntry> storages)
    {
        Pickle = pickle;
        Storages = storages;
    }

    /// <summary>The data.pkl record.</summary>
    public ZipEntry Pickle { get; }

    /// <summary>The <c>data/&lt;key&gt;</c> records by storage key.</summary>
    public IReadOnlyDictionary<string, ZipEntry> Storages { get; }

    public static TorchArchive Read(SafeFileHandle file, long fileLength, string path)
    {
        var entries = StoredZipDirectory.Read(file, fileLength, path);
        if (entries.Count == 0)
            Fail(path, "the zip archive is empty; a torch checkpoint holds at least data.pkl");
        var slash = entries[0].Name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
            Fail(path, $"the first zip entry '{entries[0].Name}' is not inside a top folder, as torch.save writes every record");
        var folder = entries[0].Name[..(slash + 1)];

        ZipEntry? pickle = null;
        ZipEntry? byteOrder = null;
        var storages = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!entry.Name.StartsWith(folder, StringComparison.Ordinal))
                Fail(path, $"zip entry '{entry.Name}' is outside the archive folder '{folder}'");
            var record = entry.Name[folder.Length..];
            if (record == "data.pkl")
                pickle = entry;
            else if (record == "byteorder")
                byteOrder = entry;
            else if (record.StartsWith(StoragePrefix, StringComparison.Ordinal))
                storages.Add(record[StoragePrefix.Length..], entry);
        }
        if (pickle is null)
            Fail(path, $"the archive has no '{folder}data.pkl' record; it is not a torch.save checkpoint");
        if (byteOrder is not null)
            CheckLittleEndian(file, byteOrder, path);
        return new TorchArchive(pickle, storages);
    }

    /// <summary>Reads data.pkl whole, refusing one larger than <see cref="MaxPickleBytes"/>.</summary>
    public byte[] ReadPickle(SafeFileHandle file, string path)
    {
        if (Pickle.Length > MaxPickleBytes)
        {
            TorchCheckpointException.Throw(TorchCheckpointError.PickleTooLarge, path,
                $"'{Pickle.Name}' is {Pickle.Length} bytes; the limit is {MaxPickleBytes} — a state dict's pickle is far smaller, so this file is not a plain checkpoint");
        }
        return FileRanges.ReadArray(file, Pickle.DataOffset, (int)Pickle.Length, path);
    }

    /// <summary>torch ≥ 2.1 records the byte order of the storages; older files are little-endian.</summary>
    private static void CheckLittleEndian(SafeFileHandle file, ZipEntry byteOrder, string path)
    {
        if (byteOrder.Length > MaxByteOrderBytes)
            Fail(path, $"the '{byteOrder.Name}' record is {byteOrder.Length} bytes; it should hold 'little' or 'big'");
        var text = Encoding.ASCII.GetString(FileRanges.ReadArray(file, byteOrder.DataOffset, (int)byteOrder.Length, path));
        if (text != "little")
        {
            TorchCheckpointException.Throw(TorchCheckpointError.UnsupportedByteOrder, path,
                $"the storages are '{text}'-endian; only little-endian checkpoints are read — load and re-save it on a little-endian machine");
        }
    }

    [DoesNotReturn]
    private static void Fail(string path, string detail) =>
        TorchCheckpointException.Throw(TorchCheckpointError.ZipStructure, path, detail);
}
