namespace Thaw.Models;

/// <summary>A tensor stored as is.</summary>
public sealed class PlainTensor : ModelTensor
{
    public PlainTensor(StoredTensor stored)
        : base(stored?.Name ?? throw new ArgumentNullException(nameof(stored)), stored.Info.Shape, stored.Info.DType)
    {
        Stored = stored;
    }

    public StoredTensor Stored { get; }

    public override ModelTensorKind Kind => ModelTensorKind.Plain;

    public override IReadOnlyList<StoredTensor> StoredParts => [Stored];
}
