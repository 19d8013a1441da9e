using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Thaw.Formats;
using Thaw.Models;
using Thaw.Pipeline;
using Thaw.Pipeline.HfFolder;
using Thaw.Pipeline.Sources;
using Thaw.Quantization.Bnb;
using Thaw.Tensors;
using static Thaw.Tests.Models.TestWeights;

namespace Thaw.Tests.Quantization.Quantizer;

public class BnbModelQuantizerTests
{
    private static readonly PipelineOptions Options = new() { Threads = 2 };

    [Fact]
    public void QuantizesEveryLinearWeightAndCopiesEverythingElse()
    {
        using var temp = new TempFolder();
        var source = QuantizerModels.Llama();
        var output = Quantize(temp, source, new BnbQuantizationSettings { Format = BnbQuantizeFormat.Nf4, Blocksize = 32 });
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));

        string[] quantized = ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"];
        foreach (var tensor in source)
        {
            Assert.True(model.TryGetTensor(tensor.Name, out var read), tensor.Name);
            if (quantized.Contains(tensor.Name))
            {
                var fourBit = Assert.IsType<Bnb4BitTensor>(read);
                Assert.Equal(BnbQuantType.Nf4, fourBit.QuantType);
                Assert.Equal(32, fourBit.Blocksize);
                Assert.False(fourBit.IsDoubleQuant);
                Assert.Equal(DType.BF16, fourBit.DType);
                Assert.Equal(tensor.Shape, fourBit.Shape.ToArray());
                var (packed, absmax) = Reference(Widen(tensor), BnbQuantType.Nf4, 32);
                Assert.Equal(packed, fourBit.Weight.File.ReadAll(fourBit.Weight.Info));
                Assert.Equal(absmax, MemoryMarshal.Cast<byte, float>(fourBit.Absmax.File.ReadAll(fourBit.Absmax.Info)).ToArray());
            }
            else
            {
                // lm_head, embeddings, norms and biases: the same bytes in the same dtype.
                var plain = Assert.IsType<PlainTensor>(read);
                Assert.Equal(DType.BF16, plain.DType);
                Assert.Equal(tensor.Data, plain.Stored.File.ReadAll(plain.Stored.Info));
            }
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal("nf4", (string?)config["quantization_config"]!["bnb_4bit_quant_type"]);
        Assert.Equal("float32", (string?)config["quantization_config"]!["bnb_4bit_compute_dtype"]);
        Assert.Null(config["quantization_config"]!["llm_int8_skip_modules"]);
    }

    [Fact]
    public void TensorsFollowTheStateDictOrderWithTheBiasBetweenWeightAndQuantState()
    {
        using var temp = new TempFolder();
        using var model = HfModel.Open(ModelLocation.ForExistingPath(QuantizerModels.Folder(temp, QuantizerModels.Llama())));
        var plan = BnbModelQuantizer.Plan(model, temp.File("out"), new BnbQuantizationSettings { DoubleQuant = true, Blocksize = 32 }, Options).Plan;
        const string q = "model.layers.0.self_attn.q_proj.";
        var names = plan.Tensors.Select(t => t.Tensor.Name).ToList();
        var at = names.IndexOf(q + "weight");
        Assert.Equal(
            [q + "weight", q + "bias", q + "weight.absmax", q + "weight.quant_map", q + "weight.nested_absmax", q + "weight.nested_quant_map", q + "weight.quant_state.bitsandbytes__nf4"],
            names.Skip(at).Take(7));
        Assert.Equal("model.embed_tokens.weight", names[0]);
        Assert.Equal("lm_head.weight", names[^1]);
    }

    [Fact]
    public void DoubleQuantizesAcrossSeveralNestedBlocksAndRowsThatSplitBlocks()
    {
        // [64, 300] at blocksize 32: 600 blocks (3 nested blocks), and blocks cross row boundaries.
        using var temp = new TempFolder();
        var weight = QuantizerModels.Bf16("model.layers.0.mlp.up_proj.weight", [64, 300], 11);
        var output = Quantize(temp, [weight], new BnbQuantizationSettings { DoubleQuant = true, Blocksize = 32 });
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));
        var fourBit = Assert.IsType<Bnb4BitTensor>(model.Tensors.Single());

        var (packed, absmax) = Reference(Widen(weight), BnbQuantType.Nf4, 32);
        var codes = new byte[600];
        var nested = new float[3];
        var offset = BnbDoubleQuantizer.Quantize(absmax, codes, nested);
        Assert.Equal(packed, Read(fourBit.Weight));
        Assert.Equal(codes, Read(fourBit.Absmax));
        Assert.Equal(nested, MemoryMarshal.Cast<byte, float>(Read(fourBit.NestedAbsmax!)).ToArray());
        Assert.Equal(offset, fourBit.QuantState.Nested!.Offset);
        Assert.Equal(nested, Enumerable.Range(0, 3).Select(b => absmax.Skip(b * 256).Take(256).Max(a => MathF.Abs(a - offset))).ToArray());

        // Decoded by the dequantizer, every value is within half a code step of the original.
        var decoded = new float[64 * 300];
        TensorRowSources.For(fourBit).ReadRows(0, 64, decoded);
        var original = Widen(weight);
        for (var i = 0; i < decoded.Length; i++)
            Assert.True(MathF.Abs(decoded[i] - original[i]) <= 0.2f * absmax[i / 32] + 1e-4f, $"element {i}: {decoded[i]} vs {original[i]}");
    }

    [Fact]
    public void SmallChunksGiveTheSameBytesAsOneChunk()
    {
        using var temp = new TempFolder();
        var weight = QuantizerModels.Bf16("model.layers.0.mlp.up_proj.weight", [256, 1000], 12);
        var settings = new BnbQuantizationSettings { DoubleQuant = true };
        var small = Quantize(temp, [weight], settings, new PipelineOptions { Threads = 1, MaxMemory = 600 << 10 }, "small");
        var large = Quantize(temp, [weight], settings, Options, "large");
        Assert.Equal(File.ReadAllBytes(Path.Combine(large, "model.safetensors")), File.ReadAllBytes(Path.Combine(small, "model.safetensors")));
        using var model = HfModel.Open(ModelLocation.ForExistingPath(small));
        var fourBit = Assert.IsType<Bnb4BitTensor>(model.Tensors.Single());
        Assert.Equal(Reference(Widen(weight), BnbQuantType.Nf4, 64).Packed, Read(fourBit.Weight));
    }

    [Fact]
    public void AnOddElementCountPacksAHalfByteAtTheEnd()
    {
        using var temp = new TempFolder();
        var weight = QuantizerModels.Bf16("model.layers.0.mlp.up_proj.weight", [5, 13], 13);
        var output = Quantize(temp, [weight], new BnbQuantizationSettings { Format = BnbQuantizeFormat.Fp4, Blocksize = 32 });
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));
        var fourBit = Assert.IsType<Bnb4BitTensor>(model.Tensors.Single());
        Assert.Equal([33, 1], fourBit.Weight.Info.Shape.ToArray());
        Assert.Equal([3], fourBit.Absmax.Info.Shape.ToArray());
        Assert.Equal(Reference(Widen(weight), BnbQuantType.Fp4, 32).Packed, Read(fourBit.Weight));
    }

    [Fact]
    public void Int8WritesCodesScbAndWeightFormatThatDecodeBack()
    {
        using var temp = new TempFolder();
        // Row 0 by hand: SCB 1, scale 127: 1 → 127, -0.5 → -63.5 → -64 (even), 0.25 → 31.75 → 32, 0 → 0; row 1 is all zero.
        var weight = QuantizerModels.Bf16("model.layers.0.self_attn.q_proj.weight", [2, 4], [1f, -0.5f, 0.25f, 0f, 0f, 0f, 0f, 0f]);
        var up = QuantizerModels.Bf16("model.layers.0.mlp.up_proj.weight", [24, 8], 4);
        var output = Quantize(temp, [weight, up], new BnbQuantizationSettings { Format = BnbQuantizeFormat.Int8 });
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));

        var int8 = Assert.IsType<BnbInt8Tensor>(model.Tensors.Single(t => t.Name == weight.Name));
        Assert.Equal(new sbyte[] { 127, -64, 32, 0, 0, 0, 0, 0 }, MemoryMarshal.Cast<byte, sbyte>(Read(int8.Weight)).ToArray());
        Assert.Equal([1f, 0f], MemoryMarshal.Cast<byte, float>(Read(int8.Scb)).ToArray());
        var format = model.StoredTensors.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight_format");
        Assert.Equal(DType.U8, format.Info.DType);
        Assert.Empty(format.Info.Shape);
        Assert.Equal([0], Read(format));

        var values = Widen(up);
        var decoded = new float[values.Length];
        TensorRowSources.For(model.Tensors.Single(t => t.Name == up.Name)).ReadRows(0, 24, decoded);
        for (var r = 0; r < 24; r++)
        {
            var scb = BnbInt8Quantizer.RowScale(values.AsSpan(r * 8, 8));
            for (var c = 0; c < 8; c++)
                Assert.True(MathF.Abs(decoded[(r * 8) + c] - values[(r * 8) + c]) <= (scb / 127 * 0.5f) + 1e-3f);
        }

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["quantization_config"]!;
        Assert.True((bool)config["load_in_8bit"]!);
        Assert.False((bool)config["load_in_4bit"]!);
        Assert.True((bool)config["_load_in_8bit"]!);
    }

    [Fact]
    public void SkippedModulesStayInTheModelDtypeAndAreNamedInTheConfig()
    {
        using var temp = new TempFolder();
        var source = QuantizerModels.Llama();
        var output = Quantize(temp, source, new BnbQuantizationSettings { SkipModules = ["mlp.down_proj"] });
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));
        Assert.IsType<PlainTensor>(model.Tensors.Single(t => t.Name == "model.layers.0.mlp.down_proj.weight"));
        Assert.IsType<Bnb4BitTensor>(model.Tensors.Single(t => t.Name == "model.layers.0.mlp.up_proj.weight"));
        var skip = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["quantization_config"]!["llm_int8_skip_modules"]!;
        // An explicit list replaces transformers' default, so lm_head is named too; modules by their full names.
        Assert.Equal(["lm_head", "model.layers.0.mlp.down_proj"], skip.AsArray().Select(n => (string)n!));
        Assert.Equal(model.Config!.Quantization!.Bitsandbytes!.SkipModules, ["lm_head", "model.layers.0.mlp.down_proj"]);
    }

    [Fact]
    public void Conv1DWeightsAreQuantizedTransposedAsTransformersDoes()
    {
        using var temp = new TempFolder();
        const string config = """{"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "vocab_size": 16, "dtype": "bfloat16"}""";
        var cAttn = QuantizerModels.Bf16("transformer.h.0.attn.c_attn.weight", [8, 24], 21); // Conv1D: [in, out]
        List<Tensor> tensors =
        [
            QuantizerModels.Bf16("transformer.wte.weight", [16, 8], 22),
            QuantizerModels.Bf16("transformer.wpe.weight", [32, 8], 23),
            cAttn,
            QuantizerModels.Bf16("transformer.h.0.attn.c_attn.bias", [24], 24),
            QuantizerModels.Bf16("transformer.ln_f.weight", [8], 25),
        ];
        var output = Quantize(temp, tensors, new BnbQuantizationSettings { Blocksize = 32 }, config: config);
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));
        var fourBit = Assert.IsType<Bnb4BitTensor>(model.Tensors.Single(t => t.Name == cAttn.Name));
        Assert.Equal([24, 8], fourBit.Shape.ToArray());
        var values = Widen(cAttn);
        var transposed = new float[values.Length];
        for (var i = 0; i < 8; i++)
            for (var o = 0; o < 24; o++)
                transposed[(o * 8) + i] = values[(i * 24) + o];
        Assert.Equal(Reference(transposed, BnbQuantType.Nf4, 32).Packed, Read(fourBit.Weight));
        Assert.All(model.Tensors.Where(t => t.Name != cAttn.Name), t => Assert.IsType<PlainTensor>(t));
    }

    [Fact]
    public void AShardLimitSplitsTheOutputAndItStillOpens()
    {
        using var temp = new TempFolder();
        var output = Quantize(temp, QuantizerModels.Llama(), new BnbQuantizationSettings { DoubleQuant = true, Blocksize = 32 },
            new PipelineOptions { Threads = 2, MaxShardSize = 300 });
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors.index.json")));
        using var model = HfModel.Open(ModelLocation.ForExistingPath(output));
        Assert.True(model.Files.Count > 1);
        Assert.Equal(3, model.Tensors.Count(t => t is Bnb4BitTensor));
    }

    internal static string Quantize(
        TempFolder temp, IEnumerable<Tensor> tensors, BnbQuantizationSettings settings, PipelineOptions? options = null, string name = "q",
        string config = QuantizerModels.LlamaConfig)
    {
        var input = QuantizerModels.Folder(temp, tensors, config, name + "-in");
        using var model = HfModel.Open(ModelLocation.ForExistingPath(input));
        var output = temp.File(name);
        HfFolderOutput.Write(BnbModelQuantizer.Plan(model, output, settings, options ?? Options).Plan);
        return output;
    }

    internal static float[] Widen(Tensor tensor)
    {
        var values = new float[tensor.Data!.Length / 2];
        FloatConversions.ToSingle(DType.BF16, tensor.Data, values);
        return values;
    }

    private static (byte[] Packed, float[] Absmax) Reference(float[] values, BnbQuantType type, int blocksize)
    {
        var packed = new byte[Bnb4BitQuantizer.PackedLength(values.Length)];
        var absmax = new float[Bnb4BitQuantizer.BlockCount(values.Length, blocksize)];
        Bnb4BitQuantizer.Quantize(values, type, blocksize, packed, absmax);
        return (packed, absmax);
    }

    private static byte[] Read(StoredTensor tensor) => tensor.File.ReadAll(tensor.Info);
}
