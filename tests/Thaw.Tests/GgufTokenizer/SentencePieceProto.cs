using System.Text;

namespace Thaw.Tests.GgufTokenizer;

/// <summary>
/// Writes SentencePiece ModelProto bytes by hand (protobuf wire format), with a trainer_spec and a normalizer_spec
/// around the pieces as real tokenizer.model files have, so the reader must skip fields it does not use.
/// </summary>
internal static class SentencePieceProto
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, ByteType = 6;

    public static byte[] Model(params (string Piece, float Score, int Type)[] pieces)
    {
        var model = new List<byte>();
        foreach (var (piece, score, type) in pieces)
            Message(model, 1, Piece(piece, score, type));
        // trainer_spec (2) with model_type (3) = BPE and vocab_size (4); normalizer_spec (3) with name (1).
        Message(model, 2, [.. Tag(3, 0), .. Varint(2), .. Tag(4, 0), .. Varint((ulong)pieces.Length)]);
        Message(model, 3, [.. Tag(1, 2), .. Varint(8), .. "identity"u8.ToArray()]);
        return [.. model];
    }

    /// <summary>One SentencePiece message; type NORMAL is left out as encoders do (it is the default).</summary>
    public static byte[] Piece(string piece, float score, int type)
    {
        var bytes = new List<byte>();
        var text = Encoding.UTF8.GetBytes(piece);
        bytes.AddRange(Tag(1, 2));
        bytes.AddRange(Varint((ulong)text.Length));
        bytes.AddRange(text);
        bytes.AddRange(Tag(2, 5));
        bytes.AddRange(BitConverter.GetBytes(score));
        if (type != Normal)
        {
            bytes.AddRange(Tag(3, 0));
            bytes.AddRange(Varint((ulong)type));
        }
        return [.. bytes];
    }

    public static void Message(List<byte> into, int field, byte[] message)
    {
        into.AddRange(Tag(field, 2));
        into.AddRange(Varint((ulong)message.Length));
        into.AddRange(message);
    }

    public static byte[] Tag(int field, int wire) => Varint((uint)((field << 3) | wire));

    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
