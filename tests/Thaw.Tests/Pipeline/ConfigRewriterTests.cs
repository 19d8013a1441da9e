using System.Text;
using System.Text.Json.Nodes;
using Thaw.Models;
using Thaw.Pipeline.HfFolder;
using Thaw.Tensors;

namespace Thaw.Tests.Pipeline;

public class ConfigRewriterTests
{
    private static string Rewrite(string json, DType dtype) =>
        Encoding.ASCII.GetString(ConfigRewriter.Rewrite(ModelConfig.Parse(json, "config.json"), dtype));

    [Theory]
    [InlineData("A2-llama-nf4-dq")]
    [InlineData("A2-llama-fp4")]
    public void QuantizedFixtureConfigBecomesTheConfigTransformersWritesAfterDequantizing(string model)
    {
        // transformers' model.dequantize() + save_pretrained wrote A1's config (MANIFEST: A5-iii's config is identical).
        var config = ModelConfig.Load(Fixtures.Path($"{model}/config.json"));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("A1-llama-bf16/config.json")), ConfigRewriter.Rewrite(config, DType.BF16));
    }

    [Fact]
    public void OtherDTypesChangeOnlyTheDTypeLine()
    {
        var config = ModelConfig.Load(Fixtures.Path("A2-llama-nf4-dq/config.json"));
        var expected = File.ReadAllText(Fixtures.Path("A1-llama-bf16/config.json"))
            .Replace("\"dtype\": \"bfloat16\"", "\"dtype\": \"float32\"", StringComparison.Ordinal);
        Assert.Equal(expected, Encoding.ASCII.GetString(ConfigRewriter.Rewrite(config, DType.F32)));
    }

    [Fact]
    public void TorchDTypeOfTransformers4IsKeptAndSet()
    {
        const string source = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "quantization_config": {"load_in_4bit": true, "quant_method": "bitsandbytes"}, "torch_dtype": "float16", "transformers_version": "4.44.2"}
            """;
        Assert.Equal("""
            {
              "architectures": [
                "LlamaForCausalLM"
              ],
              "model_type": "llama",
              "torch_dtype": "bfloat16",
              "transformers_version": "4.44.2"
            }

            """.ReplaceLineEndings("\n"), Rewrite(source, DType.BF16));
    }

    [Fact]
    public void BothKeysAreSetWhenBothArePresent()
    {
        var json = JsonNode.Parse(Rewrite("""{"dtype": "float16", "model_type": "llama", "torch_dtype": "float16"}""", DType.F32))!;
        Assert.Equal("float32", (string?)json["dtype"]);
        Assert.Equal("float32", (string?)json["torch_dtype"]);
    }

    [Fact]
    public void AConfigWithoutDTypeGetsTorchDTypeInSortedPlace()
    {
        Assert.Equal(
            "{\n  \"a\": 1,\n  \"model_type\": \"llama\",\n  \"torch_dtype\": \"float16\",\n  \"vocab_size\": 32000\n}\n",
            Rewrite("""{"a": 1, "model_type": "llama", "vocab_size": 32000}""", DType.F16));
    }

    [Fact]
    public void SubConfigDTypesFollowButOtherDTypeKeysDoNot()
    {
        const string source = """
            {"dtype": "float16", "model_type": "llava", "text_config": {"dtype": "float16", "model_type": "llama"},
             "vision_config": {"model_type": "clip_vision_model", "torch_dtype": "float32"}, "widget": {"dtype": "image"}}
            """;
        var json = JsonNode.Parse(Rewrite(source, DType.BF16))!;
        Assert.Equal("bfloat16", (string?)json["dtype"]);
        Assert.Equal("bfloat16", (string?)json["text_config"]!["dtype"]);
        Assert.Equal("bfloat16", (string?)json["vision_config"]!["torch_dtype"]);
        Assert.Null(json["vision_config"]!["dtype"]);
        Assert.Equal("image", (string?)json["widget"]!["dtype"]);
    }

    [Fact]
    public void ValuesAreWrittenAsPythonJsonDumpsWritesThem()
    {
        // ensure_ascii escapes, numbers as read, empty containers inline, nested indentation.
        const string source = """{"a": [], "b": {}, "c": 1e-05, "d": 10000.0, "e": "mod\u00e8le <\"x\">", "f": [1, [2]], "g": null, "h": false, "i": "\ud83d\ude00", "model_type": "llama", "torch_dtype": "float32"}""";
        Assert.Equal("""
            {
              "a": [],
              "b": {},
              "c": 1e-05,
              "d": 10000.0,
              "e": "mod\u00e8le <\"x\">",
              "f": [
                1,
                [
                  2
                ]
              ],
              "g": null,
              "h": false,
              "i": "\ud83d\ude00",
              "model_type": "llama",
              "torch_dtype": "float32"
            }

            """.ReplaceLineEndings("\n"), Rewrite(source, DType.F32));
    }
}
