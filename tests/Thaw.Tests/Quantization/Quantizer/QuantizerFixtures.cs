using System.Runtime.InteropServices;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;
using Thaw.Tests.Models;

namespace Thaw.Tests.Quantization.Quantizer;

/// <summary>Reads the A1 weights (the input) and the A2 tensors bitsandbytes wrote from them (the expected output).</summary>
internal sealed class QuantizerFixtures : IDisposable
{
    private QuantizerFixtures(string quantizedFolder)
    {
        Original = SafetensorsFile.Open(Path.Combine(ModelFixtures.A1, "model.safetensors"));
        Quantized = SafetensorsFile.Open(Path.Combine(quantizedFolder, "model.safetensors"));
    }

    public SafetensorsFile Original { get; }

    public SafetensorsFile Quantized { get; }

    public static QuantizerFixtures Nf4DoubleQuant() => new(ModelFixtures.A2Nf4);

    public static QuantizerFixtures Fp4() => new(ModelFixtures.A2Fp4);

    /// <summary>The original bf16 weight widened to float32 (exact).</summary>
    public float[] Weight(string name)
    {
        Assert.True(Original.TryGetTensor(name, out var info));
        var values = new float[info.ElementCount];
        FloatConversions.ToSingle(info.DType, Original.ReadAll(info), values);
        return values;
    }

    public byte[] Bytes(string name)
    {
        Assert.True(Quantized.TryGetTensor(name, out var info), $"{name} is not in the fixture");
        return Quantized.ReadAll(info);
    }

    public float[] Floats(string name) => MemoryMarshal.Cast<byte, float>(Bytes(name)).ToArray();

    public TensorInfo Info(string name)
    {
        Assert.True(Quantized.TryGetTensor(name, out var info), $"{name} is not in the fixture");
        return info;
    }

    public void Dispose()
    {
        Original.Dispose();
        Quantized.Dispose();
    }
}
