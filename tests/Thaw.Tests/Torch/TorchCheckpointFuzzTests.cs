using System.Buffers.Binary;
using Thaw.Formats;
using Thaw.Formats.Torch;

namespace Thaw.Tests.Torch;

/// <summary>
/// Random damage to real torch.save files: every variant either opens (and then every tensor reads) or is refused
/// with a <see cref="TorchCheckpointException"/> — never another exception, a hang or a large allocation.
/// </summary>
public class TorchCheckpointFuzzTests
{
    private const int Iterations = 2000;
    private const long MaxAllocationPerOpen = 4 << 20;

    [Theory]
    [InlineData("small.bin", 20260101)]
    [InlineData("pytorch_model.bin", 42)]
    public void MutatedCheckpointsOpenOrAreRefusedCleanly(string fixture, int seed)
    {
        var original = File.ReadAllBytes(TorchFixtures.Path(fixture));
        var pickleEnd = PickleEnd(original);
        var random = new Random(seed);
        var refused = 0;
        using var file = new TempCheckpoint([]);
        for (var i = 0; i < Iterations; i++)
        {
            File.WriteAllBytes(file.Path, Mutate(original, pickleEnd, random));
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var checkpoint = TorchCheckpointFile.Open(file.Path);
                foreach (var tensor in checkpoint.Tensors)
                    checkpoint.ReadAll(tensor);
            }
            catch (TorchCheckpointException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} (seed {seed}) threw {e.GetType().Name}: {e.Message}");
            }
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, MaxAllocationPerOpen);
        }
        // Most mutations hit a checked structure; if few were refused the mutator is not reaching the parsers.
        Assert.InRange(refused, Iterations / 4, Iterations);
    }

    /// <summary>torch writes data.pkl first; its data ends where the second local header begins.</summary>
    private static int PickleEnd(byte[] zip)
    {
        for (var i = 4; i + 4 <= zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x04034b50)
                return i;
        }
        return zip.Length;
    }

    private static byte[] Mutate(byte[] original, int pickleEnd, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0: // a few random bytes in the pickle
                for (var n = random.Next(1, 4); n > 0; n--)
                    bytes[random.Next(pickleEnd)] = (byte)random.Next(256);
                break;
            case 1: // a few random bytes in the central directory and end records
                for (var n = random.Next(1, 4); n > 0; n--)
                    bytes[bytes.Length - 1 - random.Next(Math.Min(bytes.Length, 1200))] = (byte)random.Next(256);
                break;
            case 2: // an extreme 32-bit value anywhere: lengths, counts, offsets
                uint[] extremes = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(random.Next(bytes.Length - 4)), extremes[random.Next(extremes.Length)]);
                break;
            case 3: // truncation
                return bytes[..random.Next(bytes.Length)];
            case 4: // a byte inserted or removed, shifting everything after it
                var at = random.Next(bytes.Length);
                return random.Next(2) == 0 ? [.. bytes[..at], (byte)random.Next(256), .. bytes[at..]] : [.. bytes[..at], .. bytes[(at + 1)..]];
            default: // bit flips anywhere
                for (var n = random.Next(1, 9); n > 0; n--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                break;
        }
        return bytes;
    }
}
