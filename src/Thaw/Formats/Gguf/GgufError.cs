namespace Thaw.Formats.Gguf;

/// <summary>
/// Why a GGUF file, value or write was refused. The reader rules follow ggml's <c>gguf.cpp</c> (the reader
/// llama.cpp uses) and its <c>tests/test-gguf.cpp</c> list of handcrafted bad files.
/// </summary>
public enum GgufError
{
    /// <summary>The file does not start with the four bytes "GGUF".</summary>
    BadMagic,

    /// <summary>The version is not 2 or 3 (0, 1, a future version, or a big-endian file).</summary>
    UnsupportedVersion,

    /// <summary>The file ends inside the header, a key/value or a tensor info.</summary>
    Truncated,

    /// <summary>A tensor or key/value count cannot fit in the file, so the header is corrupt.</summary>
    CountTooLarge,

    /// <summary>A string length is above 1 GiB or points past the end of the file.</summary>
    StringTooLong,

    /// <summary>A string is not valid UTF-8 where text is required (keys, tensor names).</summary>
    InvalidUtf8,

    /// <summary>A key is empty.</summary>
    EmptyKey,

    /// <summary>Two key/values have the same key.</summary>
    DuplicateKey,

    /// <summary>Arrays are nested deeper than the reader allows.</summary>
    NestingTooDeep,

    /// <summary>A value type id is not one of the 13 GGUF value types.</summary>
    UnknownValueType,

    /// <summary>A metadata value has a different type than the one asked for or that llama.cpp requires.</summary>
    WrongValueType,

    /// <summary>A required metadata key is absent.</summary>
    MissingKey,

    /// <summary><c>general.alignment</c> is not a UINT32 power of two.</summary>
    InvalidAlignment,

    /// <summary>A tensor name is 64 bytes or longer (ggml's GGML_MAX_NAME).</summary>
    TensorNameTooLong,

    /// <summary>Two tensors have the same name.</summary>
    DuplicateTensor,

    /// <summary>A tensor has more than 4 dimensions.</summary>
    TooManyDimensions,

    /// <summary>A dimension is negative (above 2^63 - 1 as u64) or the element count overflows 64 bits.</summary>
    InvalidShape,

    /// <summary>A ggml type id is unknown or removed.</summary>
    UnknownTensorType,

    /// <summary>A tensor's first dimension (its row length) is not a multiple of its type's block size.</summary>
    RowNotBlockAligned,

    /// <summary>A tensor's data offset is not a multiple of the alignment.</summary>
    MisalignedOffset,

    /// <summary>A tensor's data offset is not the end of the previous tensor (padded): data overlaps or has gaps.</summary>
    UnexpectedOffset,

    /// <summary>A tensor's data extends past the end of the file.</summary>
    DataOutOfBounds,

    /// <summary>A value cannot be written in a form llama.cpp reads (a nested array).</summary>
    UnwritableValue,

    /// <summary>An architecture Thaw cannot name GGUF tensors for.</summary>
    UnsupportedArchitecture,

    /// <summary>A Hugging Face tensor name has no GGUF name (llama.cpp's converter: "Can not map tensor").</summary>
    UnmappedTensor,

    /// <summary>A writer was asked to write a tensor range that was already written.</summary>
    OverlappingWrite,

    /// <summary>A writer was completed before every byte of every tensor was written.</summary>
    IncompleteWrite,
}
