using Thaw.Models;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;

namespace Thaw.Tests.Models;

public class QuantizationConfigTests
{
    private static QuantizationConfig Quant(string quantizationConfig) =>
        ModelConfig.Parse($$"""{"model_type": "llama", "quantization_config": {{quantizationConfig}}}""", "config.json").Quantization!;

    [Fact]
    public void A2Nf4DoubleQuantConfig()
    {
        var q = ModelConfig.Load(Path.Combine(ModelFixtures.A2Nf4, "config.json")).Quantization!;
        Assert.Equal("bitsandbytes", q.Method);
        Assert.True(q.IsSupported);
        var bnb = q.Bitsandbytes!;
        Assert.True(bnb.LoadIn4Bit);
        Assert.False(bnb.LoadIn8Bit);
        Assert.Equal(BnbQuantType.Nf4, bnb.QuantType);
        Assert.True(bnb.UseDoubleQuant);
        Assert.Equal(DType.BF16, bnb.ComputeDType);
        Assert.Equal(DType.U8, bnb.QuantStorage);
        Assert.Null(bnb.SkipModules);
        Assert.Equal(6.0, bnb.Int8Threshold);
    }

    [Fact]
    public void A2Fp4Config()
    {
        var bnb = ModelConfig.Load(Path.Combine(ModelFixtures.A2Fp4, "config.json")).Quantization!.Bitsandbytes!;
        Assert.Equal(BnbQuantType.Fp4, bnb.QuantType);
        Assert.False(bnb.UseDoubleQuant);
    }

    [Fact]
    public void BitsAndBytesConfigDefaults()
    {
        var bnb = Quant("""{"quant_method": "bitsandbytes", "load_in_4bit": true}""").Bitsandbytes!;
        Assert.Equal(BnbQuantType.Fp4, bnb.QuantType);
        Assert.False(bnb.UseDoubleQuant);
        Assert.Equal(DType.F32, bnb.ComputeDType);
        Assert.Equal(DType.U8, bnb.QuantStorage);
        Assert.Null(bnb.SkipModules);
        Assert.Equal(6.0, bnb.Int8Threshold);
    }

    [Fact]
    public void OldConfigsWithoutQuantMethodAreBitsandbytes()
    {
        var q = Quant("""{"load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": "torch.float16"}""");
        Assert.Equal("bitsandbytes", q.Method);
        Assert.Equal(BnbQuantType.Nf4, q.Bitsandbytes!.QuantType);
        Assert.Equal(DType.F16, q.Bitsandbytes.ComputeDType);
        Assert.True(Quant("""{"_load_in_8bit": true}""").Bitsandbytes!.LoadIn8Bit);
        Assert.True(Quant("""{"quant_method": "bitsandbytes", "_load_in_4bit": true}""").Bitsandbytes!.LoadIn4Bit);
    }

    [Fact]
    public void Int8ConfigWithSkipModules()
    {
        var bnb = Quant("""{"quant_method": "bitsandbytes", "load_in_8bit": true, "llm_int8_skip_modules": ["lm_head", "vision_tower"], "llm_int8_threshold": 5.5}""").Bitsandbytes!;
        Assert.True(bnb.LoadIn8Bit);
        Assert.Equal(["lm_head", "vision_tower"], bnb.SkipModules);
        Assert.Equal(5.5, bnb.Int8Threshold);
    }

    [Theory]
    [InlineData("gptq")]
    [InlineData("awq")]
    [InlineData("compressed-tensors")]
    public void OtherMethodsAreRecognizedAndUnsupported(string method)
    {
        var q = Quant($$"""{"quant_method": "{{method}}", "bits": 4}""");
        Assert.Equal(method, q.Method);
        Assert.False(q.IsSupported);
        Assert.True(q.IsKnownMethod);
        Assert.Null(q.Bitsandbytes);
    }

    [Fact]
    public void UnknownMethodIsUnsupportedAndUnknown()
    {
        var q = Quant("""{"quant_method": "my_secret_quant"}""");
        Assert.False(q.IsSupported);
        Assert.False(q.IsKnownMethod);
    }

    [Theory]
    [InlineData("""{"bits": 4}""")]                                                                            // no method, no load_in_*
    [InlineData("""{"quant_method": 4}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "load_in_8bit": true}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "int4"}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_compute_dtype": "int32"}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_storage": "float8_e4m3fn"}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": "true"}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_8bit": true, "llm_int8_skip_modules": "lm_head"}""")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_8bit": true, "llm_int8_threshold": "6"}""")]
    [InlineData("[]")]
    public void BadQuantizationConfigIsRejected(string json)
    {
        var e = Assert.Throws<ModelException>(() => Quant(json));
        Assert.Equal(ModelError.BadConfig, e.Reason);
    }
}
