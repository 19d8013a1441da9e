using Thaw.Tensors;

namespace Thaw.Quantization.Bnb;

/// <summary>
/// The second quantization level of a double-quantized 4-bit weight: the per-block absmax values are stored as
/// 8-bit codes of (absmax - Offset), in blocks of <see cref="Blocksize"/> with float absmax values of their own.
/// </summary>
/// <param name="Blocksize">nested_blocksize (256 in every bitsandbytes release).</param>
/// <param name="DType">nested_dtype: the dtype of nested_absmax (float32).</param>
/// <param name="Offset">nested_offset: the mean absmax that was subtracted, a float32 value.</param>
public sealed record BnbNestedQuantState(int Blocksize, DType DType, float Offset);
