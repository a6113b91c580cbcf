using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (<c>torch.sum</c>).</summary>
    public Tensor Sum() => Wrap(Native.lq_sum(H(), [], 0, 0));

    /// <summary>Sum along <paramref name="dim"/> (<c>torch.sum(dim)</c>).</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Wrap(Native.lq_sum(H(), [dim], 1, keepDim ? 1 : 0));

    /// <summary>Sum along several dimensions (<c>torch.sum(dims)</c>).</summary>
    public Tensor Sum(long[] dims, bool keepDim = false) => Wrap(Native.lq_sum(H(), dims, dims.Length, keepDim ? 1 : 0));

    /// <summary>Mean of all elements (<c>torch.mean</c>).</summary>
    public Tensor Mean() => Wrap(Native.lq_mean(H(), [], 0, 0));

    /// <summary>Mean along <paramref name="dim"/> (<c>torch.mean(dim)</c>).</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Wrap(Native.lq_mean(H(), [dim], 1, keepDim ? 1 : 0));

    /// <summary>Mean along several dimensions (<c>torch.mean(dims)</c>).</summary>
    public Tensor Mean(long[] dims, bool keepDim = false) => Wrap(Native.lq_mean(H(), dims, dims.Length, keepDim ? 1 : 0));

    /// <summary>Product of all elements (<c>torch.prod</c>).</summary>
    public Tensor Prod() => Wrap(Native.lq_prod(H()));

    /// <summary>
    /// Variance over every element, or along <paramref name="dim"/> (<c>torch.var</c>);
    /// <paramref name="correction"/> 1 is Bessel's (unbiased), 0 the population variance.
    /// </summary>
    public Tensor Var(long? dim = null, long correction = 1, bool keepDim = false) => dim is { } d
        ? Wrap(Native.lq_var(H(), [d], 1, correction, keepDim ? 1 : 0))
        : Wrap(Native.lq_var(H(), [], 0, correction, keepDim ? 1 : 0));

    /// <summary>Standard deviation over every element, or along <paramref name="dim"/> (<c>torch.std</c>).</summary>
    public Tensor Std(long? dim = null, long correction = 1, bool keepDim = false) => dim is { } d
        ? Wrap(Native.lq_std(H(), [d], 1, correction, keepDim ? 1 : 0))
        : Wrap(Native.lq_std(H(), [], 0, correction, keepDim ? 1 : 0));

    /// <summary>
    /// p-norm of every element (Frobenius for p = 2), or along <paramref name="dim"/> (<c>torch.norm(p, dim)</c>).
    /// p comes first, as in PyTorch, so <c>Norm(1)</c> is the L1 norm.
    /// </summary>
    public Tensor Norm(double p = 2, long? dim = null, bool keepDim = false) => dim is { } d
        ? Wrap(Native.lq_norm(H(), p, [d], 1, keepDim ? 1 : 0))
        : Wrap(Native.lq_norm(H(), p, [], 0, keepDim ? 1 : 0));

    /// <summary>log Σ eˣ along <paramref name="dim"/>, computed stably (<c>torch.logsumexp</c>).</summary>
    public Tensor LogSumExp(long dim, bool keepDim = false) => Wrap(Native.lq_logsumexp(H(), [dim], 1, keepDim ? 1 : 0));

    /// <summary>Largest element (<c>torch.max</c>).</summary>
    public Tensor Max() => Wrap(Native.lq_max_all(H()));

    /// <summary>Smallest element (<c>torch.min</c>).</summary>
    public Tensor Min() => Wrap(Native.lq_min_all(H()));

    /// <summary>Largest values along <paramref name="dim"/> and their indices (<c>torch.max(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        Check(Native.lq_max_dim(H(), dim, keepDim ? 1 : 0, out var values, out var indices));
        return (Wrap(values), Wrap(indices));
    }

    /// <summary>Smallest values along <paramref name="dim"/> and their indices (<c>torch.min(dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        Check(Native.lq_min_dim(H(), dim, keepDim ? 1 : 0, out var values, out var indices));
        return (Wrap(values), Wrap(indices));
    }

    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their indices (<c>torch.topk</c>).</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check(Native.lq_topk(H(), k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var values, out var indices));
        return (Wrap(values), Wrap(indices));
    }

    /// <summary>Sorted values along <paramref name="dim"/> and the permutation that sorts them (<c>torch.sort</c>).</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false, bool stable = false)
    {
        Check(Native.lq_sort(H(), dim, descending ? 1 : 0, stable ? 1 : 0, out var values, out var indices));
        return (Wrap(values), Wrap(indices));
    }

    /// <summary>Index of the largest element of the flattened tensor (<c>torch.argmax</c>).</summary>
    public Tensor ArgMax() => Wrap(Native.lq_argmax(H(), 0, 0, 0));

    /// <summary>Indices of the largest elements along <paramref name="dim"/> (<c>torch.argmax(dim)</c>).</summary>
    public Tensor ArgMax(long dim, bool keepDim = false) => Wrap(Native.lq_argmax(H(), 1, dim, keepDim ? 1 : 0));

    /// <summary>Index of the smallest element of the flattened tensor (<c>torch.argmin</c>).</summary>
    public Tensor ArgMin() => Wrap(Native.lq_argmin(H(), 0, 0, 0));

    /// <summary>Indices of the smallest elements along <paramref name="dim"/> (<c>torch.argmin(dim)</c>).</summary>
    public Tensor ArgMin(long dim, bool keepDim = false) => Wrap(Native.lq_argmin(H(), 1, dim, keepDim ? 1 : 0));

    /// <summary>Running sum along <paramref name="dim"/> (<c>torch.cumsum</c>).</summary>
    public Tensor CumSum(long dim) => Wrap(Native.lq_cumsum(H(), dim));

    /// <summary>True if every element is non-zero, as a bool tensor (<c>torch.all</c>).</summary>
    public Tensor All() => Wrap(Native.lq_all(H()));

    /// <summary>True if any element is non-zero, as a bool tensor (<c>torch.any</c>).</summary>
    public Tensor Any() => Wrap(Native.lq_any(H()));

    /// <summary>Draws indices from the (unnormalized) probabilities in the last dimension (<c>torch.multinomial</c>).</summary>
    public Tensor Multinomial(long samples, bool replacement = false) => Wrap(Native.lq_multinomial(H(), samples, replacement ? 1 : 0));
}
