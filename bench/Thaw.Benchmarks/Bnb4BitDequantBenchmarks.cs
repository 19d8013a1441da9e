using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Benchmarks;

/// <summary>
/// Single-threaded NF4 dequantization of a 4096 × 4096 double-quantized weight (blocksize 64, nested blocksize 256),
/// the absmax rebuild included, to bf16 (32 MiB out) and float32 (64 MiB out), at every SIMD width this machine
/// accelerates, scalar included. The target is ≥ 3 GB/s of bf16 output per thread (DESIGN.md); the GB/s column is
/// output bytes over the mean time.
/// </summary>
[MinColumn]
[Config(typeof(ThroughputConfig))]
public class Bnb4BitDequantBenchmarks : WidthBenchmark
{
    private const int Blocksize = 64;
    private const int NestedBlocksize = 256;
    private const int Elements = 4096 * 4096;
    private const int Blocks = Elements / Blocksize;

    private readonly byte[] _packed = new byte[Elements / 2];
    private readonly byte[] _absmaxCodes = new byte[Blocks];
    private readonly float[] _nestedAbsmax = new float[Blocks / NestedBlocksize];
    private readonly float[] _nestedMap = new float[256];
    private readonly float[] _absmax = new float[Blocks];
    private readonly byte[] _bfloat16 = new byte[Elements * 2];
    private readonly byte[] _single = new byte[Elements * 4];
    private SimdWidth _width;

    [GlobalSetup]
    public void Setup()
    {
        _width = SelectedWidth;
        var random = new Random(42);
        random.NextBytes(_packed);
        random.NextBytes(_absmaxCodes);
        for (var i = 0; i < _nestedAbsmax.Length; i++)
            _nestedAbsmax[i] = (float)(0.01 + random.NextDouble() * 0.05);
        for (var i = 0; i < _nestedMap.Length; i++)
            _nestedMap[i] = (i - 127) / 128f;
        // Touch the outputs once so page faults are not measured.
        _bfloat16.AsSpan().Fill(1);
        _single.AsSpan().Fill(1);
    }

    [Benchmark]
    public void Nf4ToBFloat16() => Decode(DType.BF16, _bfloat16);

    [Benchmark]
    public void Nf4ToSingle() => Decode(DType.F32, _single);

    private void Decode(DType dtype, byte[] destination)
    {
        BnbDoubleQuant.DequantizeAbsmax(_absmaxCodes, 0, _nestedMap, _nestedAbsmax, NestedBlocksize, 0.03f, _absmax);
        Bnb4BitDequantizer.Dequantize(BnbQuantType.Nf4, Blocksize, 0, _packed, _absmax, dtype, destination, _width);
    }

    /// <summary>Adds output GB/s (10^9 bytes per second of mean time).</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new OutputThroughputColumn());
    }

    private sealed class OutputThroughputColumn : IColumn
    {
        public string Id => nameof(OutputThroughputColumn);

        public string ColumnName => "Output GB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Bytes written per second of mean time, in 10^9";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (mean is not { } nanoseconds)
                return "-";
            long bytes = benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(Nf4ToBFloat16) ? Elements * 2L : Elements * 4L;
            return (bytes / nanoseconds).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
