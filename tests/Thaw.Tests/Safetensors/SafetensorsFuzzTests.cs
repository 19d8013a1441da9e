using System.Buffers.Binary;
using System.Text;
using Thaw.Formats;
using Thaw.Formats.Safetensors;

namespace Thaw.Tests.Safetensors;

/// <summary>
/// Random mutations of a small valid file: each must open (and read back) or be refused with a
/// <see cref="SafetensorsException"/> — never another exception, a hang or a huge allocation.
/// </summary>
public sealed class SafetensorsFuzzTests : IDisposable
{
    private const string Header = "{\"__metadata__\":{\"format\":\"pt\"}," +
        "\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}," +
        "\"p\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[12,14]}," +
        "\"z\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[14,14]}," +
        "\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[14,15]}}  ";

    private static readonly string[] Snippets =
    [
        "-1", "1e3", "1.5", "0", "18446744073709551615", "18446744073709551616", "9223372036854775808", "\"F4\"", "\"F6_E3M2\"",
        "null", "[]", "{}", "[0,0]", "\"\\ud800\"", ",", "\"w\":", "\"__metadata__\":", "\"", "\\", "{", "}", "[", "]", " ", "\u00e9", "\0",
    ];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TwoThousandMutationsOpenOrFailCleanly()
    {
        var valid = SafetensorsTestFiles.Build(Header, 15);
        var path = _folder.File("fuzz.safetensors");
        File.WriteAllBytes(path, valid);
        using (var file = SafetensorsFile.Open(path))
            Assert.Equal(4, file.Tensors.Count);

        var random = new Random(20240917);
        var opened = 0;
        for (var i = 0; i < 2000; i++)
        {
            var mutated = Mutate(valid, random);
            File.WriteAllBytes(path, mutated);
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var tensor in file.Tensors)
                    Assert.Equal(tensor.ByteLength, file.ReadAll(tensor).LongLength);
                opened++;
            }
            catch (SafetensorsException)
            {
                // Refused with a reason: what the reader must do with bad input.
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} ({Convert.ToBase64String(mutated)}) threw {e.GetType().Name}: {e.Message}");
            }
        }
        // Some mutations keep the file valid (padding, data bytes); most must be refused.
        Assert.InRange(opened, 1, 1999);
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var header = valid.AsSpan(8, headerLength).ToArray().ToList();
        var data = valid.AsSpan(8 + headerLength).ToArray().ToList();
        var fixLength = true;
        switch (random.Next(7))
        {
            case 0: // flip bits anywhere, length prefix included
                var whole = valid.ToArray();
                for (var n = random.Next(1, 5); n > 0; n--)
                    whole[random.Next(whole.Length)] ^= (byte)(1 << random.Next(8));
                return whole;
            case 1: // truncate
                return valid[..random.Next(valid.Length)];
            case 2: // a JSON-significant snippet inserted into the header
                header.InsertRange(random.Next(header.Count + 1), Encoding.UTF8.GetBytes(Snippets[random.Next(Snippets.Length)]));
                fixLength = random.Next(4) != 0;
                break;
            case 3: // a snippet replacing part of the header
                var at = random.Next(header.Count);
                header.RemoveRange(at, Math.Min(random.Next(1, 6), header.Count - at));
                header.InsertRange(at, Encoding.UTF8.GetBytes(Snippets[random.Next(Snippets.Length)]));
                break;
            case 4: // a digit changed
                var digits = Enumerable.Range(0, header.Count).Where(j => char.IsAsciiDigit((char)header[j])).ToList();
                header[digits[random.Next(digits.Count)]] = (byte)('0' + random.Next(10));
                break;
            case 5: // data grows or shrinks
                if (random.Next(2) == 0 && data.Count > 0)
                    data.RemoveAt(random.Next(data.Count));
                else
                    data.Add((byte)random.Next(256));
                break;
            default: // an interesting header length
                ulong[] lengths = [0, 1, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, 100_000_000, 100_000_001, 1UL << 63, ulong.MaxValue];
                var copy = valid.ToArray();
                BinaryPrimitives.WriteUInt64LittleEndian(copy, lengths[random.Next(lengths.Length)]);
                return copy;
        }
        return SafetensorsTestFiles.Build([.. header], [.. data], fixLength ? null : (ulong)headerLength);
    }
}
