using System.Runtime.InteropServices;
using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

/// <summary>
/// A libtorch op refused its input (bad shape, dtype, index …). The process is unharmed: the native
/// side caught the C++ exception and kept its message, which this exception carries with the op.
/// </summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception for <paramref name="op"/> with libtorch's message.</summary>
    public TorchException(string op, string nativeMessage)
        : base($"{op}: {nativeMessage}")
    {
        Op = op;
        NativeMessage = nativeMessage;
    }

    /// <summary>The op that failed, as named in this API (e.g. <c>MatMul</c>).</summary>
    public string Op { get; }

    /// <summary>libtorch's own message, without its C++ backtrace.</summary>
    public string NativeMessage { get; }

    internal static TorchException FromLastError(string op)
    {
        // A native call that failed because managed code it called back threw (an ODE vector
        // field inside a backward pass, say) rethrows that exception instead.
        NativeCallbacks.ThrowPending();
        var message = Marshal.PtrToStringUTF8(Native.lq_last_error());
        return new TorchException(op, string.IsNullOrEmpty(message) ? "native call failed without a message" : message.Trim());
    }
}
