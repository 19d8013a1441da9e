using Thaw.Analysis;
using Thaw.Models;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;
using Thaw.Tests.Models;

namespace Thaw.Tests.Analysis;

public class WeightErrorFixtureTests
{
    // A2 is what bitsandbytes wrote for A1 (nf4, blocksize 64, double quant): decoding it gives deq(q(W)) by an
    // independent route (bitsandbytes' own codes and maxima, our dequantizer).
    [Fact]
    public void ErrorsOfA1AreThoseOfBitsandbytesOwnNf4FileA2()
    {
        using var a1 = HfModel.Open(ModelFixtures.A1);
        using var a2 = HfModel.Open(ModelFixtures.A2Nf4);
        var analysis = ModelAnalyzer.Analyze(a1, new AnalysisSettings(BnbQuantType.Nf4, 64, DoubleQuant: true), null, threads: 2);
        Assert.Equal(14, analysis.Modules.Count);
        foreach (var module in analysis.Modules)
        {
            var original = ReadAll(a1, module.Weight);
            var decoded = ReadAll(a2, module.Weight);
            double error = 0, norm = 0, max = 0;
            for (var i = 0; i < original.Length; i++)
            {
                double delta = decoded[i] - original[i];
                error += delta * delta;
                norm += (double)original[i] * original[i];
                max = Math.Max(max, Math.Abs(delta));
            }
            var expected = Math.Sqrt(error / norm);
            Assert.True(Math.Abs(module.Error.RelativeError - expected) <= 1e-12 * expected, $"{module.Module}: {module.Error.RelativeError} vs {expected}");
            Assert.Equal(max, module.Error.MaxAbsError);
            Assert.Equal(error, module.Error.SquaredError, 1e-12 * error);
            Assert.True(module.Error.RelativeError is > 0.01 and < 0.2);
        }
    }

    [Fact]
    public void WithoutDoubleQuantTheErrorIsSmallerOrEqualButNotTheA2One()
    {
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var single = ModelAnalyzer.Analyze(a1, new AnalysisSettings(BnbQuantType.Nf4, 64, DoubleQuant: false), null, threads: 1);
        var nested = ModelAnalyzer.Analyze(a1, new AnalysisSettings(BnbQuantType.Nf4, 64, DoubleQuant: true), null, threads: 1);
        Assert.Contains(single.Modules.Zip(nested.Modules), p => p.First.Error.RelativeError != p.Second.Error.RelativeError);
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheNumbers()
    {
        using var a1 = HfModel.Open(ModelFixtures.A1);
        var settings = new AnalysisSettings(BnbQuantType.Fp4, 64, DoubleQuant: true);
        var one = ModelAnalyzer.Analyze(a1, settings, null, threads: 1);
        var two = ModelAnalyzer.Analyze(a1, settings, null, threads: 2);
        Assert.Equal(one.Modules.Select(m => m.Error), two.Modules.Select(m => m.Error));
    }

    [Fact]
    public void OutlierStatisticsOfAKnownSpread()
    {
        // 1000 values ±1 and one 100: mean 0.0999, the 100 lies far beyond 6σ.
        var values = Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? 1f : -1f).Append(100f).Append(0f).Append(0f).Append(0f).ToArray();
        var source = new ArraySource("w", values, 4);
        var error = WeightErrorMeter.Measure(source, new AnalysisSettings());
        Assert.Equal(100, error.MaxAbs);
        Assert.Equal(1.0 / 1004, error.OutlierFraction, 1e-15);
        Assert.True(error.Kurtosis > 100);
        Assert.Equal(100 / Math.Sqrt(11000.0 / 1004), error.MaxOverRms, 1e-9);
    }

    private static float[] ReadAll(HfModel model, string name)
    {
        Assert.True(model.TryGetTensor(name, out var tensor));
        var source = TensorRowSources.For(tensor);
        var values = new float[source.RowCount * source.RowLength];
        source.ReadRows(0, (int)source.RowCount, values);
        return values;
    }
}
