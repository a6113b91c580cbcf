using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // shape.cpp
    [LibraryImport(Library)] public static partial nint lq_view(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Library)] public static partial nint lq_reshape(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Library)] public static partial nint lq_permute(TensorHandle t, ReadOnlySpan<long> order, long ndim);
    [LibraryImport(Library)] public static partial nint lq_transpose(TensorHandle t, long dim0, long dim1);
    [LibraryImport(Library)] public static partial nint lq_contiguous(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_expand(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Library)] public static partial nint lq_repeat(TensorHandle t, ReadOnlySpan<long> repeats, long ndim);
    [LibraryImport(Library)] public static partial nint lq_repeat_interleave(TensorHandle t, long repeats, long dim);
    [LibraryImport(Library)] public static partial nint lq_squeeze(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial nint lq_squeeze_all(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_unsqueeze(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial nint lq_flatten(TensorHandle t, long start, long end);
    [LibraryImport(Library)] public static partial nint lq_tril(TensorHandle t, long diagonal);
    [LibraryImport(Library)] public static partial nint lq_triu(TensorHandle t, long diagonal);
    [LibraryImport(Library)] public static partial nint lq_roll(TensorHandle t, long shift, long dim);
    [LibraryImport(Library)] public static partial nint lq_narrow(TensorHandle t, long dim, long start, long length);
    [LibraryImport(Library)] public static partial nint lq_slice(TensorHandle t, long dim, long start, long end, long step);
    [LibraryImport(Library)] public static partial nint lq_select(TensorHandle t, long dim, long index);
    [LibraryImport(Library)] public static partial nint lq_cat(ReadOnlySpan<nint> tensors, long n, long dim);
    [LibraryImport(Library)] public static partial nint lq_stack(ReadOnlySpan<nint> tensors, long n, long dim);
    [LibraryImport(Library)] public static partial nint lq_split(TensorHandle t, long size, long dim);
    [LibraryImport(Library)] public static partial nint lq_split_sizes(TensorHandle t, ReadOnlySpan<long> sizes, long n, long dim);
    [LibraryImport(Library)] public static partial nint lq_chunk(TensorHandle t, long chunks, long dim);
    [LibraryImport(Library)] public static partial nint lq_unbind(TensorHandle t, long dim);
    [LibraryImport(Library)] public static partial nint lq_index_select(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Library)] public static partial nint lq_gather(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Library)] public static partial nint lq_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle source);
    [LibraryImport(Library)] public static partial nint lq_scatter_add(TensorHandle t, long dim, TensorHandle index, TensorHandle source);
    [LibraryImport(Library)] public static partial nint lq_index_add(TensorHandle t, long dim, TensorHandle index, TensorHandle source, NativeScalar alpha);
    [LibraryImport(Library)] public static partial int lq_index_add_(TensorHandle t, long dim, TensorHandle index, TensorHandle source, NativeScalar alpha);
    [LibraryImport(Library)] public static partial nint lq_masked_fill(TensorHandle t, TensorHandle mask, NativeScalar value);
    [LibraryImport(Library)] public static partial int lq_masked_fill_(TensorHandle t, TensorHandle mask, NativeScalar value);
    [LibraryImport(Library)] public static partial nint lq_where(TensorHandle condition, TensorHandle a, TensorHandle b);
}
