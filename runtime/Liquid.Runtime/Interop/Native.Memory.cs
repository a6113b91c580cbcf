using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

internal static partial class Native
{
    // memory.cpp
    [LibraryImport(Library)] public static partial long lq_heap_bytes();
}
