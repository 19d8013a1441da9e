using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using Thaw.Tests.Quantization;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Pipeline;

/// <summary>
/// Every bitsandbytes weight a row source refuses, with the reason and the tensor named. Layout errors are found when
/// the model opens (<see cref="BnbStoredLayout"/>), stored values when the row source is made or reads them.
/// </summary>
public sealed class BnbRowSourceRejectionTests : IDisposable
{
    private const string Weight = BnbCheckpoint.Weight;
    private static readonly long[] Shape = [4, 64];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static List<Tensor> Plain() =>
        BnbCheckpoint.FourBit(Shape, BnbQuantType.Nf4, 64, new byte[128], [1f, 2f, 3f, 4f]);

    private static List<Tensor> Nested() =>
        BnbCheckpoint.DoubleQuant(Shape, 64, new byte[128], new byte[4], [0.5f], [.. Enumerable.Range(0, 256).Select(i => i / 256f)], 0.25f);

    private static List<Tensor> Replace(List<Tensor> tensors, Tensor replacement)
    {
        var i = tensors.FindIndex(t => t.Name == replacement.Name);
        tensors[i] = replacement;
        return tensors;
    }

    private BnbFormatException OpenFails(List<Tensor> tensors, BnbError reason, string tensorName)
    {
        var e = Assert.Throws<BnbFormatException>(() => BnbCheckpoint.Open(_temp, tensors).Dispose());
        return Named(e, reason, tensorName);
    }

    private BnbFormatException SourceFails(List<Tensor> tensors, BnbError reason, string tensorName)
    {
        using var model = BnbCheckpoint.Open(_temp, tensors);
        var tensor = model.Tensors.Single(t => t.Name == Weight);
        return Named(Assert.Throws<BnbFormatException>(() => TensorRowSources.For(tensor)), reason, tensorName);
    }

    private BnbFormatException ReadFails(List<Tensor> tensors, BnbError reason, string tensorName)
    {
        using var model = BnbCheckpoint.Open(_temp, tensors);
        var source = TensorRowSources.For(model.Tensors.Single(t => t.Name == Weight));
        var e = Assert.Throws<BnbFormatException>(() => source.ReadRows(0, (int)source.RowCount, new float[source.RowCount * source.RowLength]));
        return Named(e, reason, tensorName);
    }

    private static BnbFormatException Named(BnbFormatException e, BnbError reason, string tensorName)
    {
        Assert.Equal(reason, e.Reason);
        Assert.Equal(tensorName, e.TensorName);
        Assert.EndsWith("model.safetensors", e.FilePath, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void AbsmaxOfTheWrongLength() =>
        OpenFails(Replace(Plain(), BnbCheckpoint.Floats(Weight + ".absmax", [1f, 2f, 3f])), BnbError.BadTensorLayout, Weight + ".absmax");

    [Fact]
    public void PackedWeightsTooShortForTheShape() =>
        OpenFails(Replace(Plain(), new Tensor(Weight, DType.U8, [127, 1], new byte[127])), BnbError.BadTensorLayout, Weight);

    [Fact]
    public void NestedQuantMapOfTheWrongSize() =>
        OpenFails(Replace(Nested(), BnbCheckpoint.Floats(Weight + ".nested_quant_map", new float[255])), BnbError.BadTensorLayout, Weight + ".nested_quant_map");

    [Fact]
    public void NestedAbsmaxOfTheWrongLength() =>
        OpenFails(Replace(Nested(), BnbCheckpoint.Floats(Weight + ".nested_absmax", [0.5f, 0.5f])), BnbError.BadTensorLayout, Weight + ".nested_absmax");

    [Fact]
    public void QuantMapOfTheOtherQuantType()
    {
        var e = SourceFails(Replace(Plain(), BnbCheckpoint.Floats(Weight + ".quant_map", BnbReference.StoredFp4)), BnbError.BadQuantMap, Weight + ".quant_map");
        Assert.Contains("quant_map[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuantMapWithNaN()
    {
        var map = (float[])BnbReference.Nf4.Clone();
        map[5] = float.NaN;
        var e = SourceFails(Replace(Plain(), BnbCheckpoint.Floats(Weight + ".quant_map", map)), BnbError.BadQuantMap, Weight + ".quant_map");
        Assert.Contains("quant_map[5]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestedQuantMapWithInfinity()
    {
        var map = new float[256];
        map[17] = float.PositiveInfinity;
        var e = SourceFails(Replace(Nested(), BnbCheckpoint.Floats(Weight + ".nested_quant_map", map)), BnbError.NonFiniteValue, Weight + ".nested_quant_map");
        Assert.Contains("value 17", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestedAbsmaxThatIsNaN() =>
        SourceFails(Replace(Nested(), BnbCheckpoint.Floats(Weight + ".nested_absmax", [float.NaN])), BnbError.NonFiniteValue, Weight + ".nested_absmax");

    [Fact]
    public void AbsmaxThatIsInfiniteFailsTheReadThatNeedsIt()
    {
        var e = ReadFails(Replace(Plain(), BnbCheckpoint.Floats(Weight + ".absmax", [1f, 2f, float.PositiveInfinity, 4f])), BnbError.NonFiniteValue, Weight + ".absmax");
        Assert.Contains("value 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8WithoutScb()
    {
        var tensors = BnbCheckpoint.Int8(new sbyte[12], [1f, 1f, 1f], weightFormat: null);
        tensors.RemoveAt(1);
        SourceFails(tensors, BnbError.MissingTensor, Weight);
    }

    [Fact]
    public void Int8WeightFormatOne()
    {
        var e = SourceFails(BnbCheckpoint.Int8(new sbyte[12], [1f, 1f, 1f], weightFormat: 1), BnbError.UnsupportedWeightFormat, "model.layers.0.mlp.up_proj.weight_format");
        Assert.Contains("col32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8ScbThatIsNaN() =>
        ReadFails(BnbCheckpoint.Int8(new sbyte[12], [1f, float.NaN, 1f], weightFormat: 0), BnbError.NonFiniteValue, "model.layers.0.mlp.up_proj.SCB");
}
