namespace Thaw.Formats.Torch;

/// <summary>Why a PyTorch checkpoint (<c>.bin</c>/<c>.pt</c>) was refused.</summary>
public enum TorchCheckpointError
{
    /// <summary>The file is neither a zip archive nor a legacy torch file.</summary>
    NotAZip,

    /// <summary>The file uses the pre-1.6 torch serialization format, which is not read.</summary>
    LegacyFormat,

    /// <summary>An archive entry is compressed; torch writes stored entries and Thaw never inflates.</summary>
    CompressedEntry,

    /// <summary>The zip structure is malformed: directory, headers, entry ranges, names or counts.</summary>
    ZipStructure,

    /// <summary>data.pkl is larger than the limit.</summary>
    PickleTooLarge,

    /// <summary>The pickle uses an opcode that torch's weights-only loader does not accept.</summary>
    PickleOpcodeNotAllowed,

    /// <summary>The pickle references a global (class or function) outside the allow-list.</summary>
    GlobalNotAllowed,

    /// <summary>The pickle is malformed: truncated, stack underflow, wrong argument types, unknown memo.</summary>
    PickleStructure,

    /// <summary>The pickle exceeds a resource limit (objects, stack depth, memo entries).</summary>
    PickleLimit,

    /// <summary>The unpickled object is not a dict of tensor name to tensor.</summary>
    NotAStateDict,

    /// <summary>A tensor's storage has no <c>data/&lt;key&gt;</c> record in the archive.</summary>
    MissingStorage,

    /// <summary>A storage record's byte length differs from its element count times element size.</summary>
    StorageSizeMismatch,

    /// <summary>A tensor's offset and extent reach past the end of its storage.</summary>
    TensorOutOfStorage,

    /// <summary>A tensor's strides are not row-major (C-contiguous).</summary>
    NotContiguous,

    /// <summary>A storage class or dtype Thaw does not represent (complex128, quantized, packed sub-byte types).</summary>
    UnsupportedDType,

    /// <summary>The archive says its data is big-endian.</summary>
    UnsupportedByteOrder,

    /// <summary>The file changed or shrank after it was opened.</summary>
    TruncatedData,
}
