using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // window_attention.cpp
    [LibraryImport(Library)] public static partial nint lq_window_attention(TensorHandle q, TensorHandle k, TensorHandle v, double scale, long window, long block);
}
