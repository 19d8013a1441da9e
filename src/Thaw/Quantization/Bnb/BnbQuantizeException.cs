using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Thaw.Quantization.Bnb;

/// <summary>A model, tensor or setting that cannot be turned into a bitsandbytes checkpoint.</summary>
public sealed class BnbQuantizeException : ThawException<BnbQuantizeError>
{
    public BnbQuantizeException(BnbQuantizeError reason, string? filePath, string? tensorName, string detail, Exception? inner = null)
        : base(reason, filePath, tensorName, detail, inner)
    {
    }

    [DoesNotReturn]
    [StackTraceHidden]
    internal static void Throw(BnbQuantizeError reason, string? filePath, string? tensorName, string detail) =>
        throw new BnbQuantizeException(reason, filePath, tensorName, detail);
}
