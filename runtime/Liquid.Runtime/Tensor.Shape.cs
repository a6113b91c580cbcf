using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

public sealed partial class Tensor
{
    /// <summary>A view with another shape over the same storage; −1 infers one size (<c>tensor.view</c>).</summary>
    public Tensor View(params ReadOnlySpan<long> shape) => Wrap(Native.lq_view(H(), shape, shape.Length));

    /// <summary>Another shape, as a view when possible, else a copy (<c>tensor.reshape</c>).</summary>
    public Tensor Reshape(params ReadOnlySpan<long> shape) => Wrap(Native.lq_reshape(H(), shape, shape.Length));

    /// <summary>Reorders dimensions (<c>tensor.permute</c>).</summary>
    public Tensor Permute(params ReadOnlySpan<long> order) => Wrap(Native.lq_permute(H(), order, order.Length));

    /// <summary>Swaps two dimensions (<c>tensor.transpose</c>).</summary>
    public Tensor Transpose(long dim0, long dim1) => Wrap(Native.lq_transpose(H(), dim0, dim1));

    /// <summary>A row-major copy, or this tensor's storage if already contiguous (<c>tensor.contiguous</c>).</summary>
    public Tensor Contiguous() => Wrap(Native.lq_contiguous(H()));

    /// <summary>Broadcasts size-1 dimensions without copying; −1 keeps a size (<c>tensor.expand</c>).</summary>
    public Tensor Expand(params ReadOnlySpan<long> shape) => Wrap(Native.lq_expand(H(), shape, shape.Length));

    /// <summary>Tiles the tensor (<c>tensor.repeat</c>).</summary>
    public Tensor Repeat(params ReadOnlySpan<long> repeats) => Wrap(Native.lq_repeat(H(), repeats, repeats.Length));

    /// <summary>Repeats each element along <paramref name="dim"/> (<c>tensor.repeat_interleave</c>).</summary>
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(Native.lq_repeat_interleave(H(), repeats, dim));

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (<c>tensor.squeeze(dim)</c>).</summary>
    public Tensor Squeeze(long dim) => Wrap(Native.lq_squeeze(H(), dim));

    /// <summary>Removes every size-1 dimension (<c>tensor.squeeze()</c>).</summary>
    public Tensor Squeeze() => Wrap(Native.lq_squeeze_all(H()));

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/> (<c>tensor.unsqueeze</c>).</summary>
    public Tensor Unsqueeze(long dim) => Wrap(Native.lq_unsqueeze(H(), dim));

    /// <summary>Merges dimensions start … end into one (<c>tensor.flatten</c>).</summary>
    public Tensor Flatten(long start = 0, long end = -1) => Wrap(Native.lq_flatten(H(), start, end));

    /// <summary>Keeps the lower triangle, zeroing above diagonal <paramref name="diagonal"/> (<c>torch.tril</c>).</summary>
    public Tensor Tril(long diagonal = 0) => Wrap(Native.lq_tril(H(), diagonal));

    /// <summary>Keeps the upper triangle, zeroing below diagonal <paramref name="diagonal"/> (<c>torch.triu</c>).</summary>
    public Tensor Triu(long diagonal = 0) => Wrap(Native.lq_triu(H(), diagonal));

    /// <summary>Rotates elements along <paramref name="dim"/> by <paramref name="shift"/> (<c>torch.roll</c>).</summary>
    public Tensor Roll(long shift, long dim) => Wrap(Native.lq_roll(H(), shift, dim));

    /// <summary>The view of <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="dim"/> (<c>tensor.narrow</c>).</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.lq_narrow(H(), dim, start, length));

    /// <summary>The view <c>tensor[..., start:end:step, ...]</c> along <paramref name="dim"/> (<c>tensor[a:b:c]</c>).</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => Wrap(Native.lq_slice(H(), dim, start, end, step));

    /// <summary>The view selected by a .NET range along <paramref name="dim"/>, e.g. <c>Slice(1, 2..^1)</c>.</summary>
    public Tensor Slice(long dim, Range range)
    {
        var (start, length) = range.GetOffsetAndLength(checked((int)Size((int)dim)));
        return Wrap(Native.lq_slice(H(), dim, start, start + length, 1));
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, removing that dimension (<c>tensor.select</c>).</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.lq_select(H(), dim, index));

    /// <summary>Joins tensors along an existing dimension (<c>torch.cat</c>).</summary>
    public static Tensor Cat(ReadOnlySpan<Tensor> tensors, long dim = 0)
    {
        using var handles = new HandleArray(tensors, nameof(Cat));
        return Wrap(Native.lq_cat(handles.Handles, tensors.Length, dim));
    }

    /// <summary>Joins tensors along a new dimension (<c>torch.stack</c>).</summary>
    public static Tensor Stack(ReadOnlySpan<Tensor> tensors, long dim = 0)
    {
        using var handles = new HandleArray(tensors, nameof(Stack));
        return Wrap(Native.lq_stack(handles.Handles, tensors.Length, dim));
    }

    /// <summary>Views of <paramref name="size"/> elements each along <paramref name="dim"/>; the last may be shorter (<c>torch.split</c>).</summary>
    public Tensor[] Split(long size, long dim = 0) => FromList(Native.lq_split(H(), size, dim));

    /// <summary>Views with the given sizes along <paramref name="dim"/> (<c>torch.split</c> with a list).</summary>
    public Tensor[] Split(ReadOnlySpan<long> sizes, long dim = 0) => FromList(Native.lq_split_sizes(H(), sizes, sizes.Length, dim));

    /// <summary>At most <paramref name="chunks"/> near-equal views along <paramref name="dim"/> (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(long chunks, long dim = 0) => FromList(Native.lq_chunk(H(), chunks, dim));

    /// <summary>Every slice along <paramref name="dim"/> (<c>torch.unbind</c>).</summary>
    public Tensor[] Unbind(long dim = 0) => FromList(Native.lq_unbind(H(), dim));

    /// <summary>The entries at <paramref name="index"/> (int64, 1-D) along <paramref name="dim"/> (<c>torch.index_select</c>).</summary>
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(Native.lq_index_select(H(), dim, index.H()));

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0, and so on (<c>torch.gather</c>).</summary>
    public Tensor Gather(long dim, Tensor index) => Wrap(Native.lq_gather(H(), dim, index.H()));

    /// <summary>A copy with <paramref name="source"/> written at <paramref name="index"/> (<c>torch.scatter</c>).</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) => Wrap(Native.lq_scatter(H(), dim, index.H(), source.H()));

    /// <summary>A copy with <paramref name="source"/> added at <paramref name="index"/> (<c>torch.scatter_add</c>).</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor source) => Wrap(Native.lq_scatter_add(H(), dim, index.H(), source.H()));

    /// <summary>A copy with alpha·<paramref name="source"/> rows added at <paramref name="index"/> (<c>torch.index_add</c>).</summary>
    public Tensor IndexAdd(long dim, Tensor index, Tensor source, double alpha = 1) =>
        Wrap(Native.lq_index_add(H(), dim, index.H(), source.H(), ((Scalar)alpha).Native));

    /// <summary>In-place <see cref="IndexAdd"/> (<c>tensor.index_add_</c>); returns this.</summary>
    public Tensor IndexAdd_(long dim, Tensor index, Tensor source, double alpha = 1)
    {
        Check(Native.lq_index_add_(H(), dim, index.H(), source.H(), ((Scalar)alpha).Native));
        return this;
    }

    /// <summary>A copy with <paramref name="value"/> where <paramref name="mask"/> is true (<c>torch.masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, Scalar value) => Wrap(Native.lq_masked_fill(H(), mask.H(), value.Native));

    /// <summary>In-place <see cref="MaskedFill"/> (<c>tensor.masked_fill_</c>); returns this.</summary>
    public Tensor MaskedFill_(Tensor mask, Scalar value)
    {
        Check(Native.lq_masked_fill_(H(), mask.H(), value.Native));
        return this;
    }

    /// <summary>Elements of <paramref name="whenTrue"/> where <paramref name="condition"/>, else of <paramref name="whenFalse"/> (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse) =>
        Wrap(Native.lq_where(condition.H(), whenTrue.H(), whenFalse.H()));
}
