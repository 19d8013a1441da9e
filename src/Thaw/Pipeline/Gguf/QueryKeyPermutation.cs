namespace Thaw.Pipeline.Gguf;

/// <summary>
/// llama.cpp's converter reorders the rows of llama's q/k weights (and biases) from Hugging Face's rotate-half
/// layout to interleaved pairs (spec/gguf.md §3.2): within each head of D rows, <c>new[2i + j] = old[j·D/2 + i]</c>.
/// K uses its own head count (n_head_kv), which only changes how many heads there are, not D.
/// </summary>
public static class QueryKeyPermutation
{
    /// <summary>The Hugging Face row that GGUF row <paramref name="row"/> comes from, for heads of <paramref name="rowsPerHead"/> rows.</summary>
    public static long SourceRow(long row, int rowsPerHead)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        if (rowsPerHead <= 0 || rowsPerHead % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(rowsPerHead), rowsPerHead, "a head has an even, positive number of rows");
        var head = row / rowsPerHead;
        var within = (int)(row % rowsPerHead);
        return head * rowsPerHead + within % 2 * (rowsPerHead / 2) + within / 2;
    }
}
