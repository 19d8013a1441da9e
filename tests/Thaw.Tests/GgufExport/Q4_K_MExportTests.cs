using System.Runtime.InteropServices;
using Thaw.Formats.Gguf;
using Thaw.Formats.Gguf.Quants;

namespace Thaw.Tests.GgufExport;

/// <summary>
/// A1 (2 layers, hidden 32, intermediate 128, untied output) exported as q4_k_m: the types llama-quantize's rules
/// give each tensor, and each tensor's bytes equal to encoding the converter's f32 file (A6) with that type, which is
/// what llama-quantize does with A6-llama-f32.gguf (its <c>_ref</c> quantizers, no imatrix).
/// </summary>
public sealed class Q4_K_MExportTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    // Every row length (32 or 128) is not a multiple of 256: Q4_K falls back to Q5_0, Q6_K to Q8_0, and output,
    // whose ne0 is not a multiple of Q4_K's block, is Q8_0 directly. use_more_bits(i, 2) picks layer 1 only.
    private static readonly Dictionary<string, GgmlType> Expected = new()
    {
        ["output.weight"] = GgmlType.Q8_0,
        ["token_embd.weight"] = GgmlType.Q5_0, // untied: the default type, Q4_K → Q5_0
        ["blk.0.attn_q.weight"] = GgmlType.Q5_0,
        ["blk.0.attn_k.weight"] = GgmlType.Q5_0,
        ["blk.0.attn_v.weight"] = GgmlType.Q5_0,
        ["blk.0.attn_output.weight"] = GgmlType.Q5_0,
        ["blk.0.ffn_gate.weight"] = GgmlType.Q5_0,
        ["blk.0.ffn_up.weight"] = GgmlType.Q5_0,
        ["blk.0.ffn_down.weight"] = GgmlType.Q5_0,
        ["blk.1.attn_q.weight"] = GgmlType.Q5_0,
        ["blk.1.attn_k.weight"] = GgmlType.Q5_0,
        ["blk.1.attn_v.weight"] = GgmlType.Q8_0,
        ["blk.1.attn_output.weight"] = GgmlType.Q5_0,
        ["blk.1.ffn_gate.weight"] = GgmlType.Q5_0,
        ["blk.1.ffn_up.weight"] = GgmlType.Q5_0,
        ["blk.1.ffn_down.weight"] = GgmlType.Q8_0,
    };

    [Fact]
    public void A1AsQ4_K_MIsLlamaQuantizeOfTheConvertersF32File()
    {
        var output = temp.File("out.gguf");
        var run = Cli.CliRun.Of("export-gguf", Fixtures.Path("A1-llama-bf16"), "--out", output, "--gguf-type", "q4_k_m", "--quiet");
        Assert.Equal(0, run.ExitCode);
        using var f32 = GgufFile.Open(Fixtures.Path("A6-llama-f32.gguf"));
        using var actual = GgufFile.Open(output);
        Assert.Equal(f32.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in actual.Tensors)
        {
            Assert.True(f32.TryGetTensor(tensor.Name, out var source));
            Assert.Equal(source.Dimensions.ToArray(), tensor.Dimensions.ToArray());
            Assert.Equal(Expected.GetValueOrDefault(tensor.Name, GgmlType.F32), tensor.Type);
            var rowFloats = new float[source.RowLength];
            var encoded = new byte[tensor.RowByteLength];
            var written = new byte[tensor.RowByteLength];
            var codec = GgmlRowCodecs.For(tensor.Type);
            for (long r = 0; r < source.RowCount; r++)
            {
                f32.ReadBytes(source, r * source.RowByteLength, MemoryMarshal.AsBytes(rowFloats.AsSpan()));
                codec.Quantize(rowFloats, encoded);
                actual.ReadBytes(tensor, r * tensor.RowByteLength, written);
                if (!encoded.AsSpan().SequenceEqual(written))
                    Assert.Fail($"{tensor.Name} row {r}: {Convert.ToHexString(written)} != {Convert.ToHexString(encoded)}");
            }
        }
        Assert.Equal(15u, actual.Metadata.First(kv => kv.Key == "general.file_type").Value.AsUInt32()); // MOSTLY_Q4_K_M
    }
}
