namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Embedding"/>.</summary>
/// <param name="Count">Number of rows (vocabulary size or positions).</param>
/// <param name="Dim">Width of each row.</param>
/// <param name="InitStd">If set, rows start N(0, InitStd²) (GPT-2 uses 0.02); PyTorch's default is N(0, 1).</param>
public sealed record EmbeddingOptions(long Count, long Dim, double? InitStd = null);

/// <summary>A lookup table of rows indexed by int64 ids (<c>torch.nn.Embedding</c>). Weight [count, dim].</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table with fresh rows.</summary>
    public Embedding(EmbeddingOptions options)
    {
        Options = options;
        Weight = RegisterParameter("weight", Init.Normal(Tensor.Empty([options.Count, options.Dim]), 0, options.InitStd ?? 1.0));
    }

    /// <summary>The options this layer was built with.</summary>
    public EmbeddingOptions Options { get; }

    /// <summary>[count, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>
    /// int64 ids [...] → [..., dim]. An id outside [0, count) raises an <see cref="IdOutOfRangeException"/>
    /// naming this layer, the smallest or largest bad id and the count (libtorch's own message names neither).
    /// </summary>
    public Tensor Forward(Tensor ids)
    {
        ExpectShape(ids.DType is DType.Int64 or DType.Int32, "int64 ids", ids);
        CheckIds(ids);
        return Functional.Embedding(ids, Weight);
    }

    // Two reductions over the ids: negligible beside the lookup and everything after it.
    private void CheckIds(Tensor ids)
    {
        if (ids.NumElements == 0) return;
        using var min = ids.Min();
        using var max = ids.Max();
        var low = min.ItemInt64();
        var high = max.ItemInt64();
        if (low < 0) throw new IdOutOfRangeException(Describe(), low, Options.Count);
        if (high >= Options.Count) throw new IdOutOfRangeException(Describe(), high, Options.Count);
    }
}
