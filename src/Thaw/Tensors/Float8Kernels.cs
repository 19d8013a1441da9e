using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thaw.Tensors;

/// <summary>
/// float8 → float32 for the two OCP formats safetensors stores (F8_E4M3 = torch.float8_e4m3fn, F8_E5M2 =
/// torch.float8_e5m2), bit-exact with c10 on x86. With only 256 codes a table lookup is one load per element and
/// needs no per-lane arithmetic; a vector version would need a gather or a 256-entry shuffle and is left out
/// because float8 checkpoints are a side input here (the hot paths are 16-bit).
/// </summary>
internal static class Float8Kernels
{
    private static readonly float[] E4M3Table = BuildTable(E4M3ToSingle);
    private static readonly float[] E5M2Table = BuildTable(E5M2ToSingle);

    public static float E4M3ToSingle(byte bits)
    {
        var sign = (uint)(bits & 0x80) << 24;
        var magnitude = bits & 0x7Fu;
        uint result;
        if (magnitude == 0x7F)
            result = 0x7FF0_0000; // e4m3fn has no Inf; S.1111.111 is its only NaN, and c10 widens it to this pattern
        else if (magnitude >= 0x08)
            result = (magnitude << 20) + ((127u - 7) << 23);
        else
            result = BitConverter.SingleToUInt32Bits(magnitude * (1.0f / (1 << 9)));
        return BitConverter.UInt32BitsToSingle(sign | result);
    }

    /// <summary>e5m2 is float16 without its low byte, which is how c10 widens it.</summary>
    public static float E5M2ToSingle(byte bits) => HalfKernels.ToSingle((ushort)(bits << 8));

    public static void E4M3ToSingle(ReadOnlySpan<byte> source, Span<float> destination) => Lookup(E4M3Table, source, destination);

    public static void E5M2ToSingle(ReadOnlySpan<byte> source, Span<float> destination) => Lookup(E5M2Table, source, destination);

    private static void Lookup(float[] table, ReadOnlySpan<byte> source, Span<float> destination)
    {
        ConversionGuard.Check(source, destination);
        ref var entries = ref MemoryMarshal.GetArrayDataReference(table);
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        for (nuint i = 0; i < (nuint)source.Length; i++)
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref entries, Unsafe.Add(ref src, i));
    }

    private static float[] BuildTable(Func<byte, float> convert)
    {
        var table = new float[256];
        for (var code = 0; code < table.Length; code++)
            table[code] = convert((byte)code);
        return table;
    }
}
