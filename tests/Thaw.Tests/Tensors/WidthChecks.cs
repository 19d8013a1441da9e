using System.Runtime.InteropServices;
using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

internal delegate void WidthConverter<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination, SimdWidth maxWidth);

/// <summary>Runs a span kernel at every width (Vector512 included: unaccelerated it runs in software, same results)
/// and compares it bit for bit with the scalar reference applied element by element.</summary>
internal static class WidthChecks
{
    public static void MatchScalar<TFrom, TTo>(TFrom[] inputs, WidthConverter<TFrom, TTo> kernel, Func<TFrom, TTo> scalar)
        where TFrom : unmanaged
        where TTo : unmanaged
    {
        var expected = inputs.Select(scalar).ToArray();
        foreach (var width in ConversionSamples.AllWidths)
        {
            var actual = new TTo[inputs.Length];
            kernel(inputs, actual, width);
            AssertSame(expected, actual, $"{width}, all {inputs.Length}");

            // Every length up to 300 at several start offsets: all tail sizes and unaligned starts.
            for (var offset = 0; offset < 4; offset++)
            {
                for (var length = 0; length <= Math.Min(300, inputs.Length - offset); length++)
                {
                    var output = new TTo[length + 2];
                    kernel(inputs.AsSpan(offset, length), output.AsSpan(1, length), width);
                    AssertSame(expected.AsSpan(offset, length), output.AsSpan(1, length), $"{width}, offset {offset}, length {length}");
                    AssertSame(new TTo[1], output.AsSpan(0, 1), $"{width}: wrote before the destination");
                    AssertSame(new TTo[1], output.AsSpan(length + 1, 1), $"{width}: wrote past the destination");
                }
            }
        }
    }

    private static void AssertSame<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string context)
        where T : unmanaged
    {
        var e = MemoryMarshal.AsBytes(expected);
        var a = MemoryMarshal.AsBytes(actual);
        if (e.SequenceEqual(a))
            return;
        var size = e.Length / expected.Length;
        var index = e.CommonPrefixLength(a) / size;
        Assert.Fail($"{context}: element {index} is {Hex(a.Slice(index * size, size))}, expected {Hex(e.Slice(index * size, size))}");
    }

    private static string Hex(ReadOnlySpan<byte> littleEndian)
    {
        var bytes = littleEndian.ToArray();
        Array.Reverse(bytes);
        return "0x" + Convert.ToHexString(bytes);
    }
}
