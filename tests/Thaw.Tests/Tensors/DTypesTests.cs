using Thaw.Tensors;

namespace Thaw.Tests.Tensors;

public class DTypesTests
{
    [Theory]
    [InlineData(DType.BF16, "BF16", 16)]
    [InlineData(DType.F8_E4M3, "F8_E4M3", 8)]
    [InlineData(DType.F4, "F4", 4)]
    [InlineData(DType.U64, "U64", 64)]
    public void SafetensorsNamesRoundTrip(DType dtype, string name, int bits)
    {
        Assert.Equal(name, DTypes.SafetensorsName(dtype));
        Assert.True(DTypes.TryParseSafetensorsName(name, out var parsed));
        Assert.Equal(dtype, parsed);
        Assert.Equal(bits, DTypes.BitSize(dtype));
    }

    [Fact]
    public void ByteLengthRejectsOverflowNegativeAndPartialBytes()
    {
        Assert.Null(TensorInfo.TryComputeByteLength(DType.F32, [long.MaxValue / 2, 3]));
        Assert.Null(TensorInfo.TryComputeByteLength(DType.F32, [-1, 3]));
        Assert.Null(TensorInfo.TryComputeByteLength(DType.F4, [3]));
        Assert.Equal(2, TensorInfo.TryComputeByteLength(DType.F4, [4]));
        Assert.Equal(0, TensorInfo.TryComputeByteLength(DType.BF16, [0, 7]));
        Assert.Equal(4, TensorInfo.TryComputeByteLength(DType.F32, []));
    }
}
