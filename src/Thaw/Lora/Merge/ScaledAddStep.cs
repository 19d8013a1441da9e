using System.Globalization;

namespace Thaw.Lora.Merge;

/// <summary>lora_bias (spec/peft-lora.md §3.2): <c>b' = b + s · lora_B.bias</c>, element by element of a 1-D bias.</summary>
public sealed class ScaledAddStep : MergeStep
{
    private readonly float[] addend;
    private readonly float scale;

    public ScaledAddStep(string module, float[] addend, float scale)
    {
        ArgumentNullException.ThrowIfNull(addend);
        Module = module;
        this.addend = addend;
        this.scale = scale;
    }

    public override string Module { get; }

    public override string Description => string.Create(CultureInfo.InvariantCulture, $"+ lora_B.bias ×{scale:G6}");

    public override void Apply(long firstRow, int rowCount, Span<float> values)
    {
        var rowLength = values.Length / rowCount;
        for (var i = 0; i < values.Length; i++)
            values[i] += addend[firstRow * rowLength + i] * scale;
    }
}
