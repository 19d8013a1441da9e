using Thaw.IO;

namespace Thaw.Tests.IO;

public class ByteSizeTests
{
    [Theory]
    [InlineData("1024", 1024)]
    [InlineData("0", 0)]
    [InlineData("40KB", 40_000)]
    [InlineData("500MB", 500_000_000)]
    [InlineData("5GB", 5_000_000_000)]
    [InlineData("50GB", 50_000_000_000)]
    [InlineData("2TB", 2_000_000_000_000)]
    [InlineData("2GiB", 2_147_483_648)]
    [InlineData("1KiB", 1024)]
    [InlineData("3MiB", 3_145_728)]
    [InlineData("1TiB", 1_099_511_627_776)]
    [InlineData("5gb", 5_000_000_000)]
    [InlineData("2gib", 2_147_483_648)]
    [InlineData("10 mb", 10_000_000)]
    [InlineData("  7B ", 7)]
    [InlineData("1.5GB", 1_500_000_000)]
    [InlineData("0.5KiB", 512)]
    [InlineData("1.0000001KB", 1000)]
    [InlineData(".5MB", 500_000)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parses(string text, long expected)
    {
        Assert.Equal(expected, ByteSize.Parse(text));
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GB")]
    [InlineData("-5GB")]
    [InlineData("+5GB")]
    [InlineData("5 XB")]
    [InlineData("5GBs")]
    [InlineData("5G")]
    [InlineData("1.5")]
    [InlineData("1.2.3MB")]
    [InlineData(".MB")]
    [InlineData("1e3MB")]
    [InlineData("9223372036854775808")]
    [InlineData("10000000TB")]
    [InlineData("99999999999999999999999999999999999TB")]
    public void RefusesWithAClearMessage(string text)
    {
        var error = Assert.Throws<FormatException>(() => ByteSize.Parse(text));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("500MB", error.Message, StringComparison.Ordinal);
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1000, "1 KB")]
    [InlineData(40_000, "40 KB")]
    [InlineData(4_157_760, "4.2 MB")]
    [InlineData(999_960, "1 MB")]
    [InlineData(13_476_839_424, "13.5 GB")]
    [InlineData(long.MaxValue, "9.2 EB")]
    public void Formats(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));

    [Fact]
    public void FormatRefusesNegative() => Assert.Throws<ArgumentOutOfRangeException>(() => ByteSize.Format(-1));
}
