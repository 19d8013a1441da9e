using Thaw.Models;

namespace Thaw.Tests.Models;

public class HubIdTests
{
    [Theory]
    [InlineData("meta-llama/Llama-2-7b-hf", "meta-llama", "Llama-2-7b-hf", "main")]
    [InlineData("gpt2", null, "gpt2", "main")]
    [InlineData("Qwen/Qwen2.5-0.5B@v1.0", "Qwen", "Qwen2.5-0.5B", "v1.0")]
    [InlineData("org/name@refs/pr/1", "org", "name", "refs/pr/1")]
    [InlineData("org/name_1@0123456789abcdef0123456789abcdef01234567", "org", "name_1", "0123456789abcdef0123456789abcdef01234567")]
    public void ParsesIdsAndRevisions(string text, string? ns, string name, string revision)
    {
        Assert.True(HubId.TryParse(text, out var id));
        Assert.Equal(ns, id.Namespace);
        Assert.Equal(name, id.Name);
        Assert.Equal(revision, id.Revision);
    }

    [Fact]
    public void CacheFolderNameFollowsHuggingfaceHub()
    {
        Assert.True(HubId.TryParse("julien-c/EsperBERTo-small", out var id));
        Assert.Equal("models--julien-c--EsperBERTo-small", id.CacheFolderName);
        Assert.True(HubId.TryParse("gpt2", out var bare));
        Assert.Equal("models--gpt2", bare.CacheFolderName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]             // more than one '/'
    [InlineData("org/na me")]         // space
    [InlineData("org/-name")]         // must start with a word character
    [InlineData("org/name.")]         // must end with a word character
    [InlineData("org/foo--bar")]      // "--" is the cache separator
    [InlineData("org/foo..bar")]
    [InlineData("org/name.git")]
    [InlineData("org/name@")]         // empty revision
    [InlineData("org/name@../../x")]  // revision climbing out of refs/
    [InlineData("org/name@/abs")]
    [InlineData("org/name@a//b")]
    [InlineData("org/name@a\\b")]
    [InlineData("./org/name")]
    public void RejectsWhatIsNotAHubId(string text) => Assert.False(HubId.TryParse(text, out _));

    [Fact]
    public void NameLongerThan96IsRejected()
    {
        Assert.True(HubId.TryParse("org/" + new string('a', 96), out _));
        Assert.False(HubId.TryParse("org/" + new string('a', 97), out _));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef01234567", false)] // huggingface_hub's regex is lower-case only
    [InlineData("0123456789abcdef0123456789abcdef0123456", false)]
    [InlineData("main", false)]
    public void CommitHashIsFortyLowerCaseHexDigits(string text, bool expected) =>
        Assert.Equal(expected, HubId.IsCommitHash(text));
}
