using System.Buffers.Binary;
using Thaw.Formats.Gguf;

namespace Thaw.Tests.Gguf;

/// <summary>
/// Random mutations of a small valid file: each must open (and read back) or be refused with a
/// <see cref="GgufException"/> — never another exception, a hang or a huge allocation.
/// </summary>
public sealed class GgufFuzzTests : IDisposable
{
    private static readonly ulong[] Interesting =
        [0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 31, 32, 33, 63, 64, 255, 256, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1UL << 30, 1UL << 40, 1UL << 60, 1UL << 63, ulong.MaxValue];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ThreeThousandMutationsOpenOrFailCleanly()
    {
        var path = _folder.File("fuzz.gguf");
        using (var writer = GgufWriter.Create(path,
                   [
                       new("general.architecture", GgufValue.FromString("llama")),
                       new("llama.block_count", GgufValue.FromUInt32(2)),
                       new("llama.rope.freq_base", GgufValue.FromFloat32(10000f)),
                       new("tokenizer.ggml.tokens", GgufValue.FromStrings(["<unk>", "<s>", "▁a"])),
                       new("tokenizer.ggml.scores", GgufValue.FromArray([0f, -1f, -2f])),
                       new("tokenizer.ggml.add_bos_token", GgufValue.FromBool(true)),
                       new("x.u64", GgufValue.FromUInt64(7)),
                   ],
                   [
                       new GgufTensorSpec("token_embd.weight", [32, 3], GgmlType.Q8_0),
                       new GgufTensorSpec("output_norm.weight", [32], GgmlType.F32),
                       new GgufTensorSpec("blk.0.ffn_down.weight", [256, 1], GgmlType.Q4_K),
                   ]))
        {
            foreach (var tensor in writer.Layout.Tensors)
                writer.Write(tensor.Name, 0, Enumerable.Range(0, (int)tensor.ByteLength).Select(i => (byte)i).ToArray());
            writer.Complete();
        }
        var valid = File.ReadAllBytes(path);

        var random = new Random(20261204);
        var opened = 0;
        for (var i = 0; i < 3000; i++)
        {
            var mutated = Mutate(valid, random);
            File.WriteAllBytes(path, mutated);
            try
            {
                using var file = GgufFile.Open(path);
                foreach (var (_, value) in file.Metadata)
                    _ = value.ToString();
                foreach (var tensor in file.Tensors)
                    file.ReadBytes(tensor, 0, new byte[tensor.ByteLength]);
                opened++;
            }
            catch (GgufException)
            {
                // Refused with a reason: what the reader must do with bad input.
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} ({Convert.ToBase64String(mutated)}) threw {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.InRange(opened, 1, 2999);
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToArray();
        switch (random.Next(5))
        {
            case 0: // flip bits
                for (var n = random.Next(1, 5); n > 0; n--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 2: // an interesting u64 (a count, length or offset) at a random 4-byte-aligned place in the header
                var at = random.Next(0, 400) & ~3;
                if (at + 8 <= bytes.Length)
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), Interesting[random.Next(Interesting.Length)]);
                return bytes;
            case 3: // an interesting u32 (a type id, dimension count)
                var at32 = random.Next(0, 400);
                if (at32 + 4 <= bytes.Length)
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at32), (uint)Interesting[random.Next(Interesting.Length)]);
                return bytes;
            default: // insert or delete a few bytes inside the header
                var list = bytes.ToList();
                var position = random.Next(24, 400);
                if (random.Next(2) == 0)
                    list.RemoveRange(position, random.Next(1, 9));
                else
                    list.InsertRange(position, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                return [.. list];
        }
    }
}
