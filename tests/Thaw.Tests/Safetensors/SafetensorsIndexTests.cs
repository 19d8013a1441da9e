using System.Text;
using Thaw.Formats.Safetensors;
using Thaw.IO;

namespace Thaw.Tests.Safetensors;

public sealed class SafetensorsIndexTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void LoadsTheFixtureIndex()
    {
        var index = SafetensorsIndex.Load(SafetensorsTestFiles.Fixture("A1-llama-bf16-sharded/model.safetensors.index.json"));
        Assert.Equal(4157760, index.TotalSize);
        Assert.Equal(2078880, index.TotalParameters);
        Assert.Equal(21, index.WeightMap.Count);
        Assert.Equal("model-00003-of-00004.safetensors", index.WeightMap["lm_head.weight"]);
        Assert.Equal([.. Enumerable.Range(1, 4).Select(i => $"model-0000{i}-of-00004.safetensors")], index.ShardFiles);
    }

    [Fact]
    public void WritesPythonJsonWithSortedEscapedKeys()
    {
        // json.dumps({...}, indent=2, sort_keys=True): keys by code point (U+FFFD before U+1F600), ensure_ascii
        // escapes with lowercase hex and surrogate pairs, DEL escaped too.
        var weightMap = new Dictionary<string, string>
        {
            ["\U0001F600"] = "b.safetensors",
            ["\uFFFD"] = "a.safetensors",
            ["q\"\\\u007f\n"] = "a.safetensors",
        };
        const string Expected = "{\n  \"metadata\": {\n    \"total_size\": 12\n  },\n  \"weight_map\": {\n" +
            "    \"q\\\"\\\\\\u007f\\n\": \"a.safetensors\",\n" +
            "    \"\\ufffd\": \"a.safetensors\",\n" +
            "    \"\\ud83d\\ude00\": \"b.safetensors\"\n  }\n}\n";
        var index = new SafetensorsIndex(weightMap, 12);
        Assert.Equal(Expected, Encoding.ASCII.GetString(index.ToJsonBytes()));

        var path = _folder.File("model.safetensors.index.json");
        index.Save(path);
        var loaded = SafetensorsIndex.Load(path);
        Assert.Equal(weightMap.OrderBy(p => p.Key, StringComparer.Ordinal), loaded.WeightMap.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(12, loaded.TotalSize);
        Assert.Null(loaded.TotalParameters);
        Assert.Equal(OutputError.AlreadyExists, Assert.Throws<OutputException>(() => index.Save(path)).Reason);
        index.Save(path, overwrite: true);
    }

    [Fact]
    public void AcceptsWhatOtherToolsWrite()
    {
        // huggingface_hub's json.dump(indent=2) without sorting, extra metadata, a float total_size, extra keys.
        const string Json = "{\"weight_map\":{\"b\":\"m-2.safetensors\",\"a\":\"m-1.safetensors\"},\"metadata\":{\"format\":\"pt\",\"total_size\":4.2e3,\"nested\":{\"x\":[1]}},\"extra\":[]}";
        var index = SafetensorsIndex.Parse(Encoding.UTF8.GetBytes(Json), "index.json");
        Assert.Equal(4200, index.TotalSize);
        Assert.Equal(["m-1.safetensors", "m-2.safetensors"], index.ShardFiles);
        Assert.Null(SafetensorsIndex.Parse("{\"weight_map\":{\"a\":\"m.safetensors\"}}"u8, "i").TotalSize);
    }

    [Theory]
    [InlineData("../model.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/model.safetensors")]
    [InlineData("sub\\\\model.safetensors")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("C:model.safetensors")]
    [InlineData("model\\u0000.safetensors")]
    public void UnsafeShardNamesAreRefused(string shard)
    {
        var error = Assert.Throws<SafetensorsException>(() =>
            SafetensorsIndex.Parse(Encoding.UTF8.GetBytes($"{{\"weight_map\":{{\"w\":\"{shard}\"}}}}"), "index.json"));
        Assert.Equal(SafetensorsError.UnsafeShardName, error.Reason);
        Assert.Equal("w", error.TensorName);
        Assert.Throws<SafetensorsException>(() => new SafetensorsIndex(new Dictionary<string, string> { ["w"] = System.Text.Json.JsonSerializer.Deserialize<string>($"\"{shard}\"")! }, 1));
    }

    [Theory]
    [InlineData("", SafetensorsError.InvalidIndex)]
    [InlineData("[]", SafetensorsError.InvalidIndex)]
    [InlineData("{}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":[\"a\"]}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":1}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":null}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"}} x", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"weight_map\":{\"b\":\"m.safetensors\"}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"metadata\":[]}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"metadata\":{\"total_size\":-1}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"metadata\":{\"total_size\":1.5}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"metadata\":{\"total_size\":\"10\"}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\"},\"metadata\":{\"total_parameters\":1e300}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"\\ud800.safetensors\"}}", SafetensorsError.InvalidIndex)]
    [InlineData("{\"weight_map\":{\"a\":\"m.safetensors\",\"a\":\"n.safetensors\"}}", SafetensorsError.DuplicateTensor)]
    public void MalformedIndexesAreRefused(string json, SafetensorsError reason)
    {
        var error = Assert.Throws<SafetensorsException>(() => SafetensorsIndex.Parse(Encoding.UTF8.GetBytes(json), "index.json"));
        Assert.Equal(reason, error.Reason);
        Assert.StartsWith("index.json: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteOrderMarkIsRefusedLikePython() =>
        Assert.Equal(SafetensorsError.InvalidIndex, Assert.Throws<SafetensorsException>(() =>
            SafetensorsIndex.Parse([0xEF, 0xBB, 0xBF, .. "{\"weight_map\":{\"a\":\"m.safetensors\"}}"u8], "i")).Reason);
}
