using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

// P/Invoke surface of runtime/native, one partial file per native source file. Conventions mirror
// the C ABI: tensor results come back as raw handles (zero on failure), other calls return a status
// (0 ok, -1 failure); the failure message is read with lq_last_error on the same thread.
internal static partial class Native
{
    public const string Library = "liquid_native";

    // runtime.cpp
    [LibraryImport(Library)] public static partial nint lq_last_error();
    [LibraryImport(Library)] public static partial long lq_live_tensors();
    [LibraryImport(Library)] public static partial nint lq_torch_version();
    [LibraryImport(Library)] public static partial int lq_set_num_threads(int threads);
    [LibraryImport(Library)] public static partial int lq_get_num_threads();
    [LibraryImport(Library)] public static partial int lq_openblas_threads_controlled();
    [LibraryImport(Library)] public static partial int lq_manual_seed(ulong seed);
    [LibraryImport(Library)] public static partial nint lq_get_rng_state();
    [LibraryImport(Library)] public static partial int lq_set_rng_state(TensorHandle state);
    [LibraryImport(Library)] public static partial int lq_cuda_is_available();
    [LibraryImport(Library)] public static partial int lq_cuda_device_count();

    // tensor.cpp
    [LibraryImport(Library)] public static partial void lq_tensor_free(nint t);
    [LibraryImport(Library)] public static partial nint lq_tensor_alias(TensorHandle t);
    [LibraryImport(Library)] public static partial long lq_tensor_dim(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_tensor_shape(TensorHandle t, Span<long> shape, long capacity);
    [LibraryImport(Library)] public static partial long lq_tensor_numel(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_tensor_dtype(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Library)] public static partial int lq_tensor_requires_grad(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_tensor_set_requires_grad(TensorHandle t, int value);
    [LibraryImport(Library)] public static partial int lq_tensor_is_contiguous(TensorHandle t);
    [LibraryImport(Library)] public static unsafe partial nint lq_from_data(void* data, ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static unsafe partial int lq_copy_to(TensorHandle t, void* destination, long bytes);
    [LibraryImport(Library)] public static partial int lq_item_double(TensorHandle t, out double value);
    [LibraryImport(Library)] public static partial int lq_item_int64(TensorHandle t, out long value);
    [LibraryImport(Library)] public static partial nint lq_to(TensorHandle t, int dtype, int deviceType, int deviceIndex, int copy);
    [LibraryImport(Library)] public static partial nint lq_clone(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_copy_(TensorHandle destination, TensorHandle source);
    [LibraryImport(Library)] public static partial long lq_list_size(nint list);
    [LibraryImport(Library)] public static partial nint lq_list_get(nint list, long index);
    [LibraryImport(Library)] public static partial void lq_list_free(nint list);

    // creation.cpp
    [LibraryImport(Library)] public static partial nint lq_empty(ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_zeros(ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_ones(ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_full(ReadOnlySpan<long> shape, long ndim, NativeScalar value, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_arange(NativeScalar start, NativeScalar end, NativeScalar step, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_linspace(double start, double end, long steps, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_eye(long n, long m, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_rand(ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_randn(ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_randint(long low, long high, ReadOnlySpan<long> shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] public static partial nint lq_zeros_like(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_ones_like(TensorHandle t);
    [LibraryImport(Library)] public static partial nint lq_randn_like(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_uniform_(TensorHandle t, double low, double high);
    [LibraryImport(Library)] public static partial int lq_normal_(TensorHandle t, double mean, double std);
    [LibraryImport(Library)] public static partial int lq_fill_(TensorHandle t, NativeScalar value);
    [LibraryImport(Library)] public static partial int lq_zero_(TensorHandle t);
    [LibraryImport(Library)] public static partial int lq_bernoulli_(TensorHandle t, double p);
}

/// <summary>The tagged scalar of the C ABI (<c>lq_scalar</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct NativeScalar(double d, long i, int kind)
{
    public readonly double D = d;
    public readonly long I = i;
    public readonly int Kind = kind;
}
