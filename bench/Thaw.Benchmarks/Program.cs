using BenchmarkDotNet.Running;
using Thaw.Benchmarks.Synthetic;

// `synth SHAPE DIR` writes a synthetic model for bench/e2e; anything else runs the BenchmarkDotNet kernels.
if (args is ["synth", var shape, var folder])
{
    SyntheticLlama.Write(folder, SyntheticLlama.Shapes[shape]);
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(SyntheticLlama).Assembly).Run(args);
return 0;
