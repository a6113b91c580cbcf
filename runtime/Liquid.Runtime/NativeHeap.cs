using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

/// <summary>
/// The native heap of the process, where libtorch's CPU allocator keeps tensor storage. Used to
/// measure what a computation allocates (bytes in use after minus before), e.g. to estimate the
/// activation memory of a training step from a small probe.
/// </summary>
public static class NativeHeap
{
    /// <summary>
    /// Bytes malloc has handed out and not yet taken back, in every arena plus mmap'd chunks
    /// (glibc <c>mallinfo2</c>: uordblks + hblkhd); null where the C library cannot tell.
    /// Managed (.NET GC) memory is not included.
    /// </summary>
    public static long? BytesInUse => Native.lq_heap_bytes() is var bytes and >= 0 ? bytes : null;
}
