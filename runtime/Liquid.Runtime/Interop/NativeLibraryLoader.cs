using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

/// <summary>
/// Finds <c>libliquid_native.so</c> next to this assembly (where the build copies it), so callers
/// need no LD_LIBRARY_PATH. libtorch itself is found by the system loader or the shim's RPATH.
/// </summary>
internal static class NativeLibraryLoader
{
    // A library-level module initializer is deliberate: the resolver must be in place before the
    // first P/Invoke, whichever public entry point (Tensor, Torch, Functional) a caller touches first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Native.Library) return IntPtr.Zero;
        foreach (var directory in CandidateDirectories(assembly))
        {
            var path = Path.Combine(directory, "lib" + Native.Library + ".so");
            if (File.Exists(path)) return NativeLibrary.Load(path);
        }
        // Fall back to the default probing (LD_LIBRARY_PATH, system paths).
        return IntPtr.Zero;
    }

    private static IEnumerable<string> CandidateDirectories(Assembly assembly)
    {
        var overridePath = Environment.GetEnvironmentVariable("LIQUID_NATIVE_DIR");
        if (!string.IsNullOrEmpty(overridePath)) yield return overridePath;
        var assemblyDirectory = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory)) yield return assemblyDirectory;
        yield return AppContext.BaseDirectory;
    }
}
