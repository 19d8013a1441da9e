using BenchmarkDotNet.Attributes;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Benchmarks;

/// <summary>
/// Single-threaded ggml reference quantizers and dequantizers on 1 Mi float32 weights (256 rows of 4096, roughly
/// normal with a few outliers): the per-tensor cost of a GGUF export, before the executor's parallelism.
/// </summary>
[MinColumn]
public class GgmlQuantBenchmarks
{
    private const int RowLength = 4096;
    private const int Rows = 256;

    private readonly float[] _weights = new float[RowLength * Rows];
    private readonly float[] _decoded = new float[RowLength * Rows];
    private GgmlRowCodec _codec = null!;
    private byte[] _blocks = [];

    [Params(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.BF16)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var i = 0; i < _weights.Length; i++)
            _weights[i] = (float)((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * (i % 997 == 0 ? 0.2 : 0.02));
        _codec = GgmlRowCodecs.For(Type);
        _blocks = new byte[_codec.RowByteLength(RowLength) * Rows];
        Quantize();
    }

    [Benchmark]
    public void Quantize()
    {
        var rowBytes = _codec.RowByteLength(RowLength);
        for (var r = 0; r < Rows; r++)
            _codec.Quantize(_weights.AsSpan(r * RowLength, RowLength), _blocks.AsSpan(r * rowBytes, rowBytes));
    }

    [Benchmark]
    public void Dequantize()
    {
        var rowBytes = _codec.RowByteLength(RowLength);
        for (var r = 0; r < Rows; r++)
            _codec.Dequantize(_blocks.AsSpan(r * rowBytes, rowBytes), _decoded.AsSpan(r * RowLength, RowLength));
    }
}
