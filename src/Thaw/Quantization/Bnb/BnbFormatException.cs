using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Quantization.Bnb;

/// <summary>bitsandbytes quantized weights that break the format bitsandbytes writes.</summary>
public sealed class BnbFormatException : ThawException<BnbError>
{
    public BnbFormatException(BnbError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(BnbError reason, string? filePath, string? tensorName, string detail, Exception? inner = null) =>
        throw new BnbFormatException(reason, filePath, tensorName, detail, inner);
}
