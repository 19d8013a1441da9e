namespace Thaw.Tests.LlamaCpp;

/// <summary>The tests that run llama.cpp, one after another (its backend state is process-wide).</summary>
[CollectionDefinition(Name)]
public sealed class LlamaCppCollection
{
    public const string Name = "llama.cpp";
}
