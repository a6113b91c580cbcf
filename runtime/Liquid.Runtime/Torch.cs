using System.Runtime.InteropServices;
using Liquid.Runtime.Interop;
using Liquid.Runtime.Nn;

namespace Liquid.Runtime;

/// <summary>Process-wide libtorch settings: seeding, threads, devices, grad mode, diagnostics.</summary>
public static class Torch
{
    /// <summary>
    /// Intra-op threads used unless <see cref="SetThreads"/> says otherwise (LIQUID_THREADS overrides).
    /// Measured on the project's two-core machine with both OpenMP and OpenBLAS sized together
    /// (runtime/native/README.md): two threads double a 1024² matmul on an idle machine and leave loops
    /// of small ops unchanged. The default stays one because that machine is shared (tests run classes
    /// in parallel, builds run beside them) and overhead-bound work gains nothing; a single
    /// compute-bound job on an idle machine should ask for two.
    /// </summary>
    public const int DefaultThreads = 1;

    private static readonly object s_initLock = new();
    private static bool s_initialized;

    /// <summary>Applies the default thread count once per process (called by every entry point that computes).</summary>
    internal static void EnsureInitialized()
    {
        if (s_initialized) return;
        lock (s_initLock)
        {
            if (s_initialized) return;
            var fromEnvironment = Environment.GetEnvironmentVariable("LIQUID_THREADS");
            var threads = int.TryParse(fromEnvironment, out var n) && n > 0 ? n : DefaultThreads;
            // No call into Tensor under this lock: Tensor's static constructor calls this method, so
            // touching Tensor here while another thread runs that constructor deadlocks both.
            if (Native.lq_set_num_threads(threads) != 0) throw TorchException.FromLastError("SetThreads");
            s_initialized = true;
        }
    }

    /// <summary>libtorch's version, e.g. <c>1.13.1</c>.</summary>
    public static string Version => Marshal.PtrToStringUTF8(Native.lq_torch_version()) ?? "unknown";

    /// <summary>Seeds every generator libtorch uses (<c>torch.manual_seed</c>): same seed, same tensors.</summary>
    public static void ManualSeed(ulong seed)
    {
        EnsureInitialized();
        Tensor.Check(Native.lq_manual_seed(seed));
    }

    /// <summary>The CPU generator's state (<c>torch.get_rng_state</c>), to save with a checkpoint.</summary>
    public static byte[] GetRngState()
    {
        EnsureInitialized();
        using var state = Tensor.Wrap(Native.lq_get_rng_state(), nameof(GetRngState));
        return state.ToBytes();
    }

    /// <summary>Restores a state from <see cref="GetRngState"/> (<c>torch.set_rng_state</c>); invalid bytes raise <see cref="TorchException"/>.</summary>
    public static void SetRngState(byte[] state)
    {
        EnsureInitialized();
        using var tensor = Tensor.FromBytes(state, DType.UInt8, [state.Length]);
        Tensor.Check(Native.lq_set_rng_state(tensor.H()));
    }

    /// <summary>Sets the intra-op thread count of OpenMP and OpenBLAS (<c>torch.set_num_threads</c>).</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        s_initialized = true;
        Tensor.Check(Native.lq_set_num_threads(threads));
    }

    /// <summary>The intra-op thread count (<c>torch.get_num_threads</c>).</summary>
    public static int Threads
    {
        get
        {
            EnsureInitialized();
            return Native.lq_get_num_threads();
        }
    }

    /// <summary>True when <see cref="SetThreads"/> also sizes OpenBLAS's own thread pool (OpenBLAS is libtorch's BLAS).</summary>
    public static bool ControlsBlasThreads => Native.lq_openblas_threads_controlled() == 1;

    /// <summary>True when libtorch was built with CUDA and a GPU is visible (<c>torch.cuda.is_available</c>).</summary>
    public static bool CudaIsAvailable => Native.lq_cuda_is_available() == 1;

    /// <summary>Number of visible GPUs.</summary>
    public static int CudaDeviceCount => Native.lq_cuda_device_count();

    /// <summary>Native tensors alive in this process: tests compare it before and after to find leaks.</summary>
    public static long LiveTensors => Native.lq_live_tensors();

    /// <summary>True when autograd records operations on this thread (<c>torch.is_grad_enabled</c>).</summary>
    public static bool IsGradEnabled => Native.lq_grad_enabled() == 1;

    /// <summary>Turns gradient recording off on this thread until disposed (<c>torch.no_grad()</c>).</summary>
    public static GradModeScope NoGrad() => new(enabled: false);

    /// <summary>Turns gradient recording on (or off) on this thread until disposed (<c>torch.set_grad_enabled</c>).</summary>
    public static GradModeScope SetGradEnabled(bool enabled) => new(enabled);

    /// <summary>
    /// Turns inference mode on (or, with <paramref name="enabled"/> false, off again inside an outer one)
    /// on this thread until disposed (<c>torch.inference_mode()</c>). Like <see cref="NoGrad"/>, nothing is
    /// recorded for backward; in addition ops skip autograd's version counters and view tracking, so each
    /// call costs less — what token-by-token generation wants.
    /// </summary>
    /// <remarks>
    /// Tensors created inside are inference tensors: they can be read anywhere, but not saved for backward
    /// or changed in place outside inference mode (a <see cref="KvCache"/> filled inside must be appended
    /// to inside). As in PyTorch, a scope with <paramref name="enabled"/> false also turns gradient
    /// recording on. Scopes must be disposed on the thread that created them, innermost first.
    /// </remarks>
    public static InferenceModeScope InferenceMode(bool enabled = true)
    {
        EnsureInitialized();
        return new InferenceModeScope(enabled);
    }

    /// <summary>True inside <see cref="InferenceMode"/> on this thread (<c>torch.is_inference_mode_enabled</c>).</summary>
    public static bool IsInferenceModeEnabled => Native.lq_inference_mode_enabled() == 1;
}

/// <summary>Leaves the inference-mode setting of <see cref="Torch.InferenceMode"/> when disposed.</summary>
public sealed class InferenceModeScope : IDisposable
{
    [ThreadStatic] private static InferenceModeScope? s_innermost;

    private readonly InferenceModeScope? _outer;
    private readonly int _thread;
    private nint _guard;

    internal InferenceModeScope(bool enabled)
    {
        _guard = Native.lq_inference_mode_enter(enabled ? 1 : 0);
        if (_guard == IntPtr.Zero) throw TorchException.FromLastError(nameof(Torch.InferenceMode));
        _thread = Environment.CurrentManagedThreadId;
        _outer = s_innermost;
        s_innermost = this;
    }

    /// <summary>Restores the previous setting; throws if called on another thread or out of nesting order.</summary>
    public void Dispose()
    {
        if (_guard == IntPtr.Zero) return;
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("an inference-mode scope must be disposed on the thread that entered it");
        if (s_innermost != this)
            throw new InvalidOperationException("inference-mode scopes must be disposed innermost first");
        Native.lq_inference_mode_exit(_guard);
        _guard = IntPtr.Zero;
        s_innermost = _outer;
    }
}

/// <summary>Restores the previous grad mode when disposed.</summary>
public readonly struct GradModeScope : IDisposable
{
    private readonly int _previous;

    internal GradModeScope(bool enabled)
    {
        _previous = Native.lq_grad_enabled();
        Native.lq_set_grad_enabled(enabled ? 1 : 0);
    }

    /// <inheritdoc/>
    public void Dispose() => Native.lq_set_grad_enabled(_previous);
}
