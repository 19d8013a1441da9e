namespace Thaw.Formats.Safetensors;

/// <summary>
/// Why a safetensors file, index or write was refused. The header rules and their names follow the reference
/// Rust implementation (huggingface/safetensors <c>SafeTensorError</c>); its single
/// <c>InvalidHeaderDeserialization</c> is split into finer reasons here.
/// </summary>
public enum SafetensorsError
{
    /// <summary>The file is shorter than the 8-byte header length.</summary>
    HeaderTooSmall,

    /// <summary>The header length is above 100,000,000 bytes.</summary>
    HeaderTooLarge,

    /// <summary>The header length points past the end of the file.</summary>
    InvalidHeaderLength,

    /// <summary>The header is not valid UTF-8.</summary>
    InvalidHeaderUtf8,

    /// <summary>The header is not one strict JSON object (syntax, trailing content, comments, BOM, ...).</summary>
    InvalidHeaderJson,

    /// <summary><c>__metadata__</c> is not an object mapping strings to strings, or repeats a key.</summary>
    InvalidMetadata,

    /// <summary>A tensor entry is not an object with exactly one dtype, shape and data_offsets.</summary>
    InvalidTensorEntry,

    /// <summary>A dtype string is not one of the safetensors dtypes.</summary>
    UnknownDType,

    /// <summary>A shape is not an array of non-negative integers that fit in 64 bits.</summary>
    InvalidShape,

    /// <summary>Two tensors have the same name.</summary>
    DuplicateTensor,

    /// <summary>The data_offsets are malformed, overlap, leave a gap or do not start at 0.</summary>
    InvalidOffset,

    /// <summary>The element count or bit count of a shape overflows 64 bits.</summary>
    ValidationOverflow,

    /// <summary>A sub-byte dtype (F4, F6) whose elements do not fill whole bytes.</summary>
    MisalignedSlice,

    /// <summary>A tensor's data_offsets do not span exactly shape x dtype size bytes.</summary>
    TensorInvalidInfo,

    /// <summary>The tensor data does not end exactly at the end of the file (trailing bytes or truncation).</summary>
    MetadataIncompleteBuffer,

    /// <summary>The file became shorter after it was opened, so a tensor read hit its end.</summary>
    TruncatedData,

    /// <summary>A tensor name the format reserves (<c>__metadata__</c>) or that is not valid Unicode.</summary>
    InvalidTensorName,

    /// <summary>A writer was asked to write a tensor range that was already written.</summary>
    OverlappingWrite,

    /// <summary>A writer was completed before every byte of every tensor was written.</summary>
    IncompleteWrite,

    /// <summary>A <c>model.safetensors.index.json</c> is not valid JSON of the expected shape.</summary>
    InvalidIndex,

    /// <summary>An index names a shard file outside its folder ('/', '\', '..') or with an unusable name.</summary>
    UnsafeShardName,
}
