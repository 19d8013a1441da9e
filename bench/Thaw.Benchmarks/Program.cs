using BenchmarkDotNet.Running;
using Thaw.Benchmarks.Synthetic;

// `synth SHAPE DIR [--planted]` and `synth-adapter SHAPE DIR [--rank R] [--alpha A] [--base-model NAME]` write synthetic
// inputs for bench/e2e; anything else runs the BenchmarkDotNet kernels.
switch (args)
{
    case ["synth", var shape, var folder]:
        SyntheticLlama.Write(folder, SyntheticLlama.Shapes[shape]);
        return 0;
    case ["synth", var shape, var folder, "--planted"]:
        SyntheticLlama.Write(folder, SyntheticLlama.Shapes[shape], planted: true);
        return 0;
    case ["synth-adapter", var shape, var folder, .. var options]:
        var values = new Dictionary<string, string> { ["--rank"] = "16", ["--alpha"] = "32", ["--base-model"] = $"synthetic-llama-{shape}" };
        for (var i = 0; i < options.Length; i += 2)
        {
            if (!values.ContainsKey(options[i]) || i + 1 == options.Length)
            {
                Console.Error.WriteLine($"error: unknown option or missing value '{options[i]}' (expected --rank R, --alpha A, --base-model NAME)");
                return 2;
            }
            values[options[i]] = options[i + 1];
        }
        SyntheticLora.Write(folder, SyntheticLlama.Shapes[shape], int.Parse(values["--rank"]), int.Parse(values["--alpha"]), values["--base-model"]);
        return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(SyntheticLlama).Assembly).Run(args);
return 0;
