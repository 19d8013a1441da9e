using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Thaw.Tensors;

/// <summary>
/// Conversions between raw little-endian tensor bytes, chosen by <see cref="DType"/>. Every source dtype widens
/// to float32 exactly, so going through float32 rounds once, at the target.
/// </summary>
public static partial class FloatConversions
{
    /// <summary>Floats per chunk when neither side is float32 (8 KiB on the stack).</summary>
    private const int ChunkElements = 2048;

    private static readonly DType[] Sources = [DType.F32, DType.F16, DType.BF16, DType.F64, DType.F8_E4M3, DType.F8_E5M2];
    private static readonly DType[] Targets = [DType.F32, DType.F16, DType.BF16];

    /// <summary>True when <see cref="Convert"/> supports the pair.</summary>
    public static bool CanConvert(DType from, DType to) => IsSource(from) && IsTarget(to);

    /// <summary>Decodes <paramref name="source"/> elements of <paramref name="from"/> into float32.</summary>
    /// <exception cref="TensorException"><paramref name="from"/> is not a supported source dtype.</exception>
    public static void ToSingle(DType from, ReadOnlySpan<byte> source, Span<float> destination)
    {
        RequireLittleEndian();
        if (!IsSource(from))
            ThrowUnsupported(from, DType.F32, from);
        RequireWholeElements(from, source.Length);
        switch (from)
        {
            case DType.F32:
                var floats = MemoryMarshal.Cast<byte, float>(source);
                ConversionGuard.Check(floats, destination);
                floats.CopyTo(destination);
                break;
            case DType.F16:
                HalfToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case DType.BF16:
                BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case DType.F64:
                DoubleToSingle(MemoryMarshal.Cast<byte, double>(source), destination);
                break;
            case DType.F8_E4M3:
                Float8E4M3ToSingle(source, destination);
                break;
            default:
                Debug.Assert(from == DType.F8_E5M2);
                Float8E5M2ToSingle(source, destination);
                break;
        }
    }

    /// <summary>Encodes float32 values as <paramref name="to"/> (one round to nearest even).</summary>
    /// <exception cref="TensorException"><paramref name="to"/> is not a supported target dtype.</exception>
    public static void FromSingle(ReadOnlySpan<float> source, DType to, Span<byte> destination)
    {
        RequireLittleEndian();
        if (!IsTarget(to))
            ThrowUnsupported(DType.F32, to, to);
        RequireWholeElements(to, destination.Length);
        switch (to)
        {
            case DType.F32:
                var floats = MemoryMarshal.Cast<byte, float>(destination);
                ConversionGuard.Check(source, floats);
                source.CopyTo(floats);
                break;
            case DType.F16:
                SingleToHalf(source, MemoryMarshal.Cast<byte, ushort>(destination));
                break;
            default:
                Debug.Assert(to == DType.BF16);
                SingleToBFloat16(source, MemoryMarshal.Cast<byte, ushort>(destination));
                break;
        }
    }

    /// <summary>
    /// Converts tensor bytes of <paramref name="from"/> into bytes of <paramref name="to"/>. Sources: F32, F16,
    /// BF16, F64, F8_E4M3, F8_E5M2; targets: F32, F16, BF16. Same dtype is a plain copy.
    /// </summary>
    /// <exception cref="TensorException">The pair is not supported (<see cref="CanConvert"/> is false).</exception>
    public static void Convert(DType from, ReadOnlySpan<byte> source, DType to, Span<byte> destination)
    {
        RequireLittleEndian();
        if (!IsSource(from))
            ThrowUnsupported(from, to, from);
        if (!IsTarget(to))
            ThrowUnsupported(from, to, to);
        var count = RequireWholeElements(from, source.Length);
        var toSize = DTypes.ByteSize(to);
        if (destination.Length != (long)count * toSize)
            ThrowDestinationSize(count, to, destination.Length);

        if (to == DType.F32)
        {
            ToSingle(from, source, MemoryMarshal.Cast<byte, float>(destination));
            return;
        }
        if (from == DType.F32)
        {
            FromSingle(MemoryMarshal.Cast<byte, float>(source), to, destination);
            return;
        }
        ConversionGuard.CheckNoOverlap(source, destination);
        if (from == to)
        {
            source.CopyTo(destination);
            return;
        }

        var fromSize = DTypes.ByteSize(from);
        Span<float> buffer = stackalloc float[ChunkElements];
        for (var start = 0; start < count; start += ChunkElements)
        {
            var n = Math.Min(ChunkElements, count - start);
            var chunk = buffer[..n];
            ToSingle(from, source.Slice(start * fromSize, n * fromSize), chunk);
            FromSingle(chunk, to, destination.Slice(start * toSize, n * toSize));
        }
    }

    private static bool IsSource(DType dtype) => Array.IndexOf(Sources, dtype) >= 0;

    private static bool IsTarget(DType dtype) => Array.IndexOf(Targets, dtype) >= 0;

    private static int RequireWholeElements(DType dtype, int byteLength)
    {
        var size = DTypes.ByteSize(dtype);
        if (byteLength % size != 0)
            ThrowPartialElement(dtype, byteLength);
        return byteLength / size;
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            ThrowBigEndian();
    }

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowUnsupported(DType from, DType to, DType offending) =>
        throw new TensorException(
            TensorErrorReason.UnsupportedConversion,
            $"cannot convert {DTypes.SafetensorsName(from)} to {DTypes.SafetensorsName(to)}: " +
            $"{DTypes.SafetensorsName(offending)} is not supported (Thaw converts {Names(Sources)} to {Names(Targets)}); " +
            "cast the tensor to one of these with torch first");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowPartialElement(DType dtype, int byteLength) =>
        throw new ArgumentException(
            $"{byteLength} bytes is not a whole number of {DTypes.SafetensorsName(dtype)} elements ({DTypes.ByteSize(dtype)} bytes each)");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowDestinationSize(int count, DType to, int byteLength) =>
        throw new ArgumentException(
            $"destination is {byteLength} bytes but {count} {DTypes.SafetensorsName(to)} elements need {(long)count * DTypes.ByteSize(to)}",
            "destination");

    [DoesNotReturn, StackTraceHidden]
    private static void ThrowBigEndian() =>
        throw new PlatformNotSupportedException("tensor bytes are little-endian and this machine is big-endian");

    private static string Names(DType[] dtypes) => string.Join(", ", dtypes.Select(DTypes.SafetensorsName));
}
