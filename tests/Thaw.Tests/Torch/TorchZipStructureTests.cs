using System.Buffers.Binary;
using System.Text;
using Thaw.Formats;
using Thaw.Formats.Torch;

namespace Thaw.Tests.Torch;

/// <summary>Damaged and hostile zip containers: each is refused with its reason before anything large is allocated.</summary>
public class TorchZipStructureTests
{
    private const uint CentralHeader = 0x02014b50;
    private const uint LocalHeader = 0x04034b50;

    internal static TorchCheckpointException Rejected(byte[] contents, TorchCheckpointError reason, string? messagePart = null)
    {
        using var file = new TempCheckpoint(contents);
        var error = Assert.Throws<TorchCheckpointException>(() => TorchCheckpointFile.Open(file.Path));
        Assert.Equal(reason, error.Reason);
        if (messagePart is not null)
            Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        return error;
    }

    private static byte[] Small() => File.ReadAllBytes(TorchFixtures.Path("small.bin"));

    private static List<int> Find(byte[] zip, uint signature)
    {
        var positions = new List<int>();
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == signature)
                positions.Add(i);
        }
        return positions;
    }

    /// <summary>torch always writes the ZIP64 end record; the locator just before the 22-byte end record points to it.</summary>
    private static int Zip64Record(byte[] zip) => (int)BinaryPrimitives.ReadUInt64LittleEndian(zip.AsSpan(zip.Length - 22 - 20 + 8));

    private static byte[] ValidArchive() => TorchPickles.SingleF32(2, 0, [2], [1], 8);

    [Fact]
    public void TheUnmodifiedTestArchivesOpen()
    {
        using (var file = new TempCheckpoint(Small()))
        using (var checkpoint = TorchCheckpointFile.Open(file.Path))
            Assert.Equal(13, checkpoint.Tensors.Count);
        using (var file = new TempCheckpoint(ValidArchive()))
        using (var checkpoint = TorchCheckpointFile.Open(file.Path))
            Assert.Equal("w", Assert.Single(checkpoint.Tensors).Name);
    }

    [Theory]
    [InlineData(0, TorchCheckpointError.NotAZip)]
    [InlineData(1, TorchCheckpointError.NotAZip)]
    [InlineData(3, TorchCheckpointError.ZipStructure)]
    [InlineData(100, TorchCheckpointError.ZipStructure)]
    [InlineData(2000, TorchCheckpointError.ZipStructure)]
    [InlineData(-1, TorchCheckpointError.ZipStructure)]
    [InlineData(-22, TorchCheckpointError.ZipStructure)]
    [InlineData(-30, TorchCheckpointError.ZipStructure)]
    public void TruncatedArchivesAreRefused(int keep, TorchCheckpointError reason)
    {
        var zip = Small();
        Rejected(zip[..(keep >= 0 ? keep : zip.Length + keep)], reason);
    }

    [Fact]
    public void BytesAfterTheEndRecordAreRefused() =>
        Rejected([.. Small(), 0, 0, 0], TorchCheckpointError.ZipStructure, "no end-of-central-directory record");

    [Fact]
    public void NonZipFilesAreRefused() =>
        Rejected("{\"weight\": [1, 2, 3]}"u8.ToArray(), TorchCheckpointError.NotAZip, "not a torch.save zip archive");

    [Fact]
    public void ADirectoryClaimingTwoToThe32EntriesIsRefusedBeforeAllocating()
    {
        var zip = Small();
        var record = Zip64Record(zip);
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(record + 24), 1UL << 32);
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(record + 32), 1UL << 32);
        Rejected(zip, TorchCheckpointError.ZipStructure, "claims 4294967296 entries");
    }

    [Fact]
    public void MoreEntriesThanTheDirectoryCanHoldAreRefused()
    {
        var zip = Small();
        var record = Zip64Record(zip);
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(record + 24), 100_000);
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(record + 32), 100_000);
        Rejected(zip, TorchCheckpointError.ZipStructure, "less than 46 bytes each");
    }

    [Fact]
    public void AHugeCentralDirectoryIsRefused()
    {
        var zip = Small();
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(Zip64Record(zip) + 40), 1UL << 40);
        Rejected(zip, TorchCheckpointError.ZipStructure, "claims 1099511627776 bytes");
    }

    [Fact]
    public void ACentralDirectoryThatDoesNotEndAtItsEndRecordIsRefused()
    {
        var zip = Small();
        var record = Zip64Record(zip);
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(zip.AsSpan(record + 48));
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(record + 48), offset - 46);
        Rejected(zip, TorchCheckpointError.ZipStructure, "does not end where its end record starts");
    }

    [Fact]
    public void AZip64LocatorPointingNowhereIsRefused()
    {
        var zip = Small();
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(zip.Length - 22 - 20 + 8), (ulong)zip.Length);
        Rejected(zip, TorchCheckpointError.ZipStructure, "does not fit before its locator");
        zip = Small();
        BinaryPrimitives.WriteUInt64LittleEndian(zip.AsSpan(zip.Length - 22 - 20 + 8), 0);
        Rejected(zip, TorchCheckpointError.ZipStructure, "no ZIP64 end-of-central-directory record at byte 0");
    }

    [Fact]
    public void Zip64PlaceholdersWithoutALocatorAreRefused()
    {
        var zip = ValidArchive();
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(zip.Length - 22 + 16), uint.MaxValue);
        Rejected(zip, TorchCheckpointError.ZipStructure, "no ZIP64 locator");
    }

    [Fact]
    public void MultiDiskArchivesAreRefused()
    {
        var zip = ValidArchive();
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(zip.Length - 22 + 4), 1);
        Rejected(zip, TorchCheckpointError.ZipStructure, "spans several disks");
    }

    [Fact]
    public void ACountThatLeavesDirectoryBytesUnreadIsRefused()
    {
        var zip = ValidArchive();
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(zip.Length - 22 + 8), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(zip.Length - 22 + 10), 2);
        Rejected(zip, TorchCheckpointError.ZipStructure, "bytes after its 2 entries");
    }

    [Fact]
    public void ABrokenCentralHeaderIsRefused()
    {
        var zip = Small();
        zip[Find(zip, CentralHeader)[3]] = (byte)'X';
        Rejected(zip, TorchCheckpointError.ZipStructure, "central directory entry 3");
    }

    [Fact]
    public void EntryDataBeyondTheDataAreaIsRefused()
    {
        var zip = Small();
        var entry = Find(zip, CentralHeader)[1];
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(entry + 20), 0x7fff_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(entry + 24), 0x7fff_0000);
        Rejected(zip, TorchCheckpointError.ZipStructure, "small/data/0");
    }

    [Fact]
    public void ALocalHeaderBeyondEndOfFileIsRefused()
    {
        var zip = Small();
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(Find(zip, CentralHeader)[2] + 42), 0xffff_fff0);
        Rejected(zip, TorchCheckpointError.ZipStructure, "lies outside the data area");
    }

    [Fact]
    public void Zip64PlaceholdersWithoutTheExtraFieldAreRefused()
    {
        var zip = Small();
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(Find(zip, CentralHeader)[2] + 42), uint.MaxValue);
        Rejected(zip, TorchCheckpointError.ZipStructure, "has no ZIP64 extra field");
    }

    [Fact]
    public void Zip64ExtraFieldsGiveSizesAndOffsetsBehindPlaceholders()
    {
        var pickle = TorchPickles.StateDict(("w", new TensorSpec("ByteStorage", "0", 3, 0, [3], [1])));
        var zip = TestZip.Build(new ZipRecord("big/data.pkl", pickle, Zip64Extra: 24), new ZipRecord("big/data/0", [4, 5, 6], Zip64Extra: 24));
        using var file = new TempCheckpoint(zip);
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal(new byte[] { 4, 5, 6 }, checkpoint.ReadAll(checkpoint.Tensors[0]));

        var shortField = TestZip.Build(new ZipRecord("big/data.pkl", pickle, Zip64Extra: 16));
        Rejected(shortField, TorchCheckpointError.ZipStructure, "ZIP64 extra field has 16 bytes, not 24");
    }

    [Fact]
    public void AnExtraFieldRunningPastItsHeaderIsRefused()
    {
        var zip = TestZip.Build(new ZipRecord("big/data.pkl", TorchPickles.StateDict(), Zip64Extra: 24));
        var central = Find(zip, CentralHeader)[0];
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(central + 46 + "big/data.pkl".Length + 2), 25);
        Rejected(zip, TorchCheckpointError.ZipStructure, "runs past the end of its header");
    }

    [Fact]
    public void OverlappingEntriesAreRefused()
    {
        // Stretch data/0 over the local header of the entry after it (the data area still ends before the directory).
        var zip = Small();
        var entry = Find(zip, CentralHeader)[1];
        var size = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(entry + 24));
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(entry + 20), size + 200);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(entry + 24), size + 200);
        Rejected(zip, TorchCheckpointError.ZipStructure, "overlap");
    }

    [Fact]
    public void AMissingLocalHeaderIsRefused()
    {
        var zip = Small();
        zip[Find(zip, LocalHeader)[4]] = (byte)'X';
        Rejected(zip, TorchCheckpointError.ZipStructure, "has no local header");
    }

    [Fact]
    public void ALocalHeaderNamingAnotherEntryIsRefused()
    {
        var zip = Small();
        var local = Find(zip, LocalHeader)[1];
        zip[local + 30] = (byte)'X';
        Rejected(zip, TorchCheckpointError.ZipStructure, "names a different entry");
    }

    [Fact]
    public void ALocalHeaderDisagreeingOnTheMethodIsRefused()
    {
        var zip = Small();
        zip[Find(zip, LocalHeader)[1] + 8] = 8;
        Rejected(zip, TorchCheckpointError.ZipStructure, "says method 8");
    }

    [Fact]
    public void CompressedEntriesAreRefused()
    {
        var zip = TestZip.Build(
            new ZipRecord("archive/data.pkl", TorchPickles.StateDict()),
            new ZipRecord("archive/data/0", new byte[8], Method: 8));
        Rejected(zip, TorchCheckpointError.CompressedEntry, "'archive/data/0' is compressed (method 8)");
    }

    [Fact]
    public void EncryptedEntriesAreRefused() =>
        Rejected(TestZip.Build(new ZipRecord("archive/data.pkl", TorchPickles.StateDict(), Flags: 1)), TorchCheckpointError.ZipStructure, "encrypted");

    [Fact]
    public void DuplicateEntryNamesAreRefused()
    {
        var pickle = TorchPickles.StateDict();
        Rejected(TestZip.Build(new ZipRecord("archive/data.pkl", pickle), new ZipRecord("archive/data.pkl", pickle)),
            TorchCheckpointError.ZipStructure, "appears twice");
    }

    [Fact]
    public void InvalidUtf8NamesAreRefused()
    {
        var zip = TestZip.Build(new ZipRecord("archive/data.pkl", TorchPickles.StateDict()), new ZipRecord("archive/x", []));
        var central = Find(zip, CentralHeader)[1];
        zip[central + 46 + 8] = 0xff;
        Rejected(zip, TorchCheckpointError.ZipStructure, "not valid UTF-8");
    }

    [Fact]
    public void EntriesOutsideTheTopFolderAreRefused() =>
        Rejected(TestZip.Build(new ZipRecord("archive/data.pkl", TorchPickles.StateDict()), new ZipRecord("other/data/0", [])),
            TorchCheckpointError.ZipStructure, "outside the archive folder 'archive/'");

    [Fact]
    public void AnArchiveWithoutTopFolderIsRefused() =>
        Rejected(TestZip.Build(new ZipRecord("data.pkl", TorchPickles.StateDict())), TorchCheckpointError.ZipStructure, "not inside a top folder");

    [Fact]
    public void AnArchiveWithoutDataPklIsRefused() =>
        Rejected(TestZip.Build(new ZipRecord("archive/version", "3\n"u8.ToArray())), TorchCheckpointError.ZipStructure, "no 'archive/data.pkl'");

    [Fact]
    public void AnEmptyArchiveIsRefused() =>
        Rejected(TestZip.Build(), TorchCheckpointError.ZipStructure, "empty");

    [Fact]
    public void TheTopFolderIsTakenFromTheFirstEntry()
    {
        var zip = TestZip.Build(
            new ZipRecord("my model/data.pkl", TorchPickles.StateDict(("w", new TensorSpec("ByteStorage", "0", 3, 0, [3], [1])))),
            new ZipRecord("my model/data/0", [7, 8, 9]));
        using var file = new TempCheckpoint(zip);
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Equal(new byte[] { 7, 8, 9 }, checkpoint.ReadAll(checkpoint.Tensors[0]));
    }

    [Theory]
    [InlineData("little", null)]
    [InlineData("big", TorchCheckpointError.UnsupportedByteOrder)]
    [InlineData("sideways-and-very-long", TorchCheckpointError.ZipStructure)]
    public void TheByteOrderRecordMustSayLittle(string byteOrder, TorchCheckpointError? reason)
    {
        var zip = TestZip.Build(
            new ZipRecord("archive/data.pkl", TorchPickles.StateDict()),
            new ZipRecord("archive/byteorder", Encoding.ASCII.GetBytes(byteOrder)));
        if (reason is { } expected)
        {
            Rejected(zip, expected);
            return;
        }
        using var file = new TempCheckpoint(zip);
        using var checkpoint = TorchCheckpointFile.Open(file.Path);
        Assert.Empty(checkpoint.Tensors);
    }

    [Fact]
    public void AnOversizedPickleIsRefusedWithoutReadingIt()
    {
        // A sparse file: the 257 MiB data.pkl record is a hole, so this costs no disk and the reader must not load it.
        using var file = new TempCheckpoint(stream => TestZip.Write(stream, [new ZipRecord("archive/data.pkl", [], SparseLength: 257L << 20)]));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<TorchCheckpointException>(() => TorchCheckpointFile.Open(file.Path));
        Assert.Equal(TorchCheckpointError.PickleTooLarge, error.Reason);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
    }
}
