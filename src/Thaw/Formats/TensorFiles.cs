using Thaw.Formats.Safetensors;
using Thaw.Formats.Torch;
using Thaw.Models;

namespace Thaw.Formats;

/// <summary>Opens a tensor file of any supported format, recognized by its content rather than its name.</summary>
public static class TensorFiles
{
    /// <summary>
    /// Opens <paramref name="path"/>: a zip archive ("PK\x03\x04", torch.save's format) as a PyTorch checkpoint,
    /// a GGUF file as an error (GGUF is an output, and read only by inspect), anything else as safetensors (whose reader reports what is wrong).
    /// </summary>
    public static ITensorFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Span<byte> magic = stackalloc byte[4];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }
        catch (FileNotFoundException e)
        {
            throw new ModelException(ModelError.NotFound, path, null, "no such file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ModelException(ModelError.NotFound, path, null, "no such file (its folder does not exist)", e);
        }

        var head = magic[..read];
        if (head.SequenceEqual("PK\x03\x04"u8))
            return TorchCheckpointFile.Open(path);
        if (head.SequenceEqual("GGUF"u8))
            throw new ModelException(ModelError.UnsupportedFormat, path, null,
                "is a GGUF file, which Thaw reads only to inspect it; merging, converting and quantizing start from the Hugging Face model folder (safetensors or .bin)");
        return SafetensorsFile.Open(path);
    }
}
