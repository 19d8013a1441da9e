using System.Text.Json.Nodes;

namespace Thaw.Inspection;

/// <summary>What a GGUF file holds: header facts, every key/value (arrays summarized) and every tensor in ggml terms.</summary>
public sealed record GgufSummary(
    uint Version,
    int Alignment,
    long DataOffset,
    string? Architecture,
    string? Type,
    string? Name,
    uint? FileType,
    string? FileTypeName,
    int TensorCount,
    int MetadataCount,
    IReadOnlyList<GgufMetadataSummary> Metadata,
    IReadOnlyList<GgufTensorSummary> Tensors);

/// <summary>
/// One key/value: its GGUF type name and, for scalars and strings, the value; an array gives its element type and
/// length instead (value null).
/// </summary>
public sealed record GgufMetadataSummary(string Key, string Type, JsonNode? Value, string? ElementType, long? Length);

/// <summary>One tensor as stored: ggml type name, <c>ne</c> (innermost first), offset in the data section, bytes.</summary>
public sealed record GgufTensorSummary(string Name, string Type, IReadOnlyList<long> Ne, long Offset, long Bytes);
