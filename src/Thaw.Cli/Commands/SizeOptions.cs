using System.CommandLine;
using Thaw.IO;

namespace Thaw.Cli.Commands;

/// <summary>Options that take a byte size ("500MB", "5GB", "2GiB") or a count; a bad value is a usage error.</summary>
internal static class SizeOptions
{
    public static Option<long> Size(string name, long defaultBytes, string description) => new(name)
    {
        Description = description,
        HelpName = "SIZE",
        DefaultValueFactory = _ => defaultBytes,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (!ByteSize.TryParse(text, out var bytes) || bytes <= 0)
            {
                result.AddError($"{name}: '{text}' is not a positive byte size; write e.g. 500MB, 5GB or 2GiB");
                return 0;
            }
            return bytes;
        },
    };

    public static Option<int> Threads()
    {
        var option = new Option<int>("--threads")
        {
            Description = "Worker threads (default: one per processor).",
            HelpName = "N",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
                result.AddError("--threads must be at least 1");
        });
        return option;
    }
}
