using System.Runtime.ExceptionServices;

namespace Liquid.Runtime.Interop;

/// <summary>
/// Carries an exception thrown by managed code that native code called back (an ODE vector field,
/// for example) across the native frames it must not unwind through. The callback catches it and
/// records it here, native code fails with a status, and the managed caller rethrows the original
/// exception, stack trace included, when it turns that status into an exception.
/// </summary>
/// <remarks>
/// Per thread: native code calls back on the thread that called it (libtorch runs CPU backward
/// passes on the calling thread too).
/// </remarks>
internal static class NativeCallbacks
{
    [ThreadStatic] private static ExceptionDispatchInfo? s_pending;

    /// <summary>Records <paramref name="exception"/> unless an earlier one is still waiting.</summary>
    public static void SetPending(Exception exception) => s_pending ??= ExceptionDispatchInfo.Capture(exception);

    /// <summary>Rethrows the recorded exception, if any, and clears it.</summary>
    public static void ThrowPending()
    {
        var pending = s_pending;
        if (pending is null) return;
        s_pending = null;
        pending.Throw();
    }

    /// <summary>Forgets the recorded exception (its caller has handled it another way).</summary>
    public static void ClearPending() => s_pending = null;
}
