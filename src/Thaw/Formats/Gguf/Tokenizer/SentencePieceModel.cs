using System.Text;

namespace Thaw.Formats.Gguf.Tokenizer;

/// <summary>The type of a SentencePiece piece (sentencepiece_model.proto <c>SentencePiece.Type</c>).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry of a SentencePiece model; its id is its position.</summary>
internal readonly record struct SentencePiece(string Piece, float Score, SentencePieceType Type);

/// <summary>
/// Reads the pieces of a SentencePiece <c>tokenizer.model</c>, a protobuf ModelProto: field 1 is the repeated
/// SentencePiece message {1: piece (string), 2: score (float, fixed32), 3: type (varint enum, default NORMAL)}.
/// Every other field (trainer and normalizer specs, extensions) is skipped by its wire type.
/// </summary>
internal static class SentencePieceModel
{
    /// <summary>Real tokenizer.model files are a few MB; 256 MB leaves room for any vocabulary.</summary>
    public const long MaxFileBytes = 256L << 20;

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;
    private const ulong MaxFieldNumber = (1 << 29) - 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IReadOnlyList<SentencePiece> Read(string path) =>
        Parse(TokenizerJson.ReadBounded(path, MaxFileBytes), path);

    public static IReadOnlyList<SentencePiece> Parse(ReadOnlySpan<byte> data, string path)
    {
        var pieces = new List<SentencePiece>();
        var reader = new ProtoReader(data, path, "ModelProto");
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1)
            {
                if (wire != WireLengthDelimited)
                    reader.Fail($"field 1 (pieces) has wire type {wire}, expected 2 (a message)");
                pieces.Add(ParsePiece(reader.LengthDelimited(), path, pieces.Count));
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (pieces.Count == 0)
        {
            TokenizerException.Throw(TokenizerError.MalformedProtobuf, path,
                "the SentencePiece model has no pieces: restore tokenizer.model from the model's repository " +
                "(a tiktoken file such as Llama 3's original tokenizer.model is not one: remove it so that tokenizer.json is used)");
        }
        return pieces;
    }

    private static SentencePiece ParsePiece(ReadOnlySpan<byte> data, string path, int id)
    {
        var reader = new ProtoReader(data, path, $"piece {id}");
        string? piece = null;
        var score = 0f;
        var type = SentencePieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            switch (field)
            {
                case 1:
                    reader.Expect(wire, WireLengthDelimited, "piece");
                    piece = reader.Utf8(reader.LengthDelimited());
                    break;
                case 2:
                    reader.Expect(wire, WireFixed32, "score");
                    score = BitConverter.Int32BitsToSingle((int)reader.Fixed32());
                    break;
                case 3:
                    reader.Expect(wire, WireVarint, "type");
                    var value = reader.Varint();
                    if (value is < 1 or > 6)
                        reader.Fail($"type {value} is not a SentencePiece type (1..6)");
                    type = (SentencePieceType)value;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (string.IsNullOrEmpty(piece))
            reader.Fail("the piece has no text");
        return new SentencePiece(piece, score, type);
    }

    /// <summary>A cursor over one protobuf message; every read is bounds-checked.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data, string path, string message)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            var field = tag >> 3;
            if (field is 0 or > MaxFieldNumber)
                Fail($"field number {field} at byte {_position} is invalid");
            return ((int)field, (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                    Fail("a varint runs past the end");
                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                    return value;
            }
            Fail("a varint is longer than 10 bytes");
            return 0;
        }

        public uint Fixed32() => (uint)Fixed(4);

        public ReadOnlySpan<byte> LengthDelimited()
        {
            var length = Varint();
            if (length > (ulong)(_data.Length - _position))
                Fail($"a length of {length} bytes runs past the end ({_data.Length - _position} bytes left)");
            var slice = _data.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint:
                    Varint();
                    break;
                case WireFixed64:
                    Fixed(8);
                    break;
                case WireLengthDelimited:
                    LengthDelimited();
                    break;
                case WireFixed32:
                    Fixed(4);
                    break;
                default:
                    Fail($"wire type {wire} is not used by SentencePiece models");
                    break;
            }
        }

        public readonly void Expect(int wire, int expected, string name)
        {
            if (wire != expected)
                Fail($"field '{name}' has wire type {wire}, expected {expected}");
        }

        public readonly string Utf8(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new TokenizerException(TokenizerError.MalformedProtobuf, path,
                    $"{message}: the piece text is not valid UTF-8; restore tokenizer.model from the model's repository", e);
            }
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public readonly void Fail(string detail) =>
            TokenizerException.Throw(TokenizerError.MalformedProtobuf, path,
                $"{message}: {detail}; this is not a valid SentencePiece model: restore tokenizer.model from the model's repository " +
                "(a tiktoken file such as Llama 3's original tokenizer.model is not one: remove it so that tokenizer.json is used)");

        private ulong Fixed(int size)
        {
            if (_data.Length - _position < size)
                Fail($"a {size}-byte value runs past the end");
            ulong value = 0;
            for (var i = size - 1; i >= 0; i--)
                value = (value << 8) | _data[_position + i];
            _position += size;
            return value;
        }
    }
}
