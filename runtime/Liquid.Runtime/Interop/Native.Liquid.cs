using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // liquid.cpp
    [LibraryImport(Library)] public static partial int lq_init_orthogonal_(TensorHandle t, double gain);
    [LibraryImport(Library)] public static partial long lq_ltc_sigma_budget(long bytes);
    [LibraryImport(Library)] public static partial int lq_liquid_vector_level(int cap);
    [LibraryImport(Library)] public static partial nint lq_ltc_sequence(TensorHandle x, TensorHandle h0, TensorHandle elapsed, ReadOnlySpan<nint> parameters, long count, long unfolds, double epsilon);
    [LibraryImport(Library)] public static partial nint lq_ltc_step(TensorHandle x, TensorHandle v, TensorHandle elapsed, ReadOnlySpan<nint> parameters, long count, long unfolds, double epsilon);
    [LibraryImport(Library)] public static partial nint lq_cfc_sequence(TensorHandle x, TensorHandle h0, TensorHandle elapsed, ReadOnlySpan<nint> weights, long count, ReadOnlySpan<long> spec, long specLength);
}
