using CsCheck;
using Thaw.Formats;
using Thaw.Formats.Safetensors;
using Thaw.Tensors;

namespace Thaw.Tests.Safetensors;

/// <summary>Property test: whatever the writer writes, the reader opens with the same tensors and bytes.</summary>
public sealed class SafetensorsRoundTripTests : IDisposable
{
    private static readonly string[] NameParts = ["w", "model.layers.0.q", "é", "\U0001F600", "\uFFFD", "\"", "\\", "\n", "a b"];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly Gen<(string Name, DType DType, long[] Shape, byte Seed)> GenTensor =
        Gen.Select(
            Gen.Int[0, NameParts.Length - 1].Array[1, 3].Select(parts => string.Concat(parts.Select(p => NameParts[p]))),
            Gen.Enum<DType>(),
            Gen.Long[0, 6].Array[0, 3],
            Gen.Byte,
            (name, dtype, shape, seed) => (name, dtype, shape, seed));

    [Fact]
    public void WrittenFilesReadBack()
    {
        GenTensor.Array[0, 8].Select(Gen.Bool).Sample((candidates, withMetadata) =>
        {
            var tensors = candidates
                .Where(c => TensorInfo.TryComputeByteLength(c.DType, c.Shape) is not null)
                .DistinctBy(c => c.Name)
                .Select(c => (Info: new TensorInfo(c.Name, c.DType, [.. c.Shape], TensorInfo.TryComputeByteLength(c.DType, c.Shape)!.Value), c.Seed))
                .ToList();
            KeyValuePair<string, string>[]? metadata = withMetadata ? null : [new("\"k\"", "é\n"), new("format", "pt")];
            var path = Path.Combine(_folder.Path, Guid.NewGuid().ToString("N") + ".safetensors");

            using (var writer = SafetensorsWriter.Create(path, tensors.Select(t => t.Info), metadata))
            {
                foreach (var (info, seed) in tensors)
                    writer.Write(info, 0, Data(info, seed));
                writer.Complete();
            }

            using var file = SafetensorsFile.Open(path);
            Assert.Equal(0, file.DataStart % 8);
            Assert.Equal(new FileInfo(path).Length, file.DataStart + tensors.Sum(t => t.Info.ByteLength));
            Assert.Equal((metadata ?? SafetensorsLayout.DefaultMetadata).ToDictionary(), file.Metadata);
            Assert.Equal(tensors.Count, file.Tensors.Count);
            foreach (var (info, seed) in tensors)
            {
                Assert.True(file.TryGetTensor(info.Name, out var read));
                Assert.Equal((info.DType, info.ByteLength), (read.DType, read.ByteLength));
                Assert.Equal(info.Shape.ToArray(), read.Shape.ToArray());
                Assert.Equal(Data(info, seed), file.ReadAll(read));
            }
            File.Delete(path);
        }, iter: 300);
    }

    private static byte[] Data(TensorInfo info, byte seed) =>
        [.. Enumerable.Range(0, (int)info.ByteLength).Select(i => (byte)(seed + i * 31))];
}
