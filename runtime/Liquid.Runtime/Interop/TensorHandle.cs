using System.Runtime.InteropServices;

namespace Liquid.Runtime.Interop;

/// <summary>
/// Owns one native <c>at::Tensor*</c>. Being a <see cref="SafeHandle"/>, it is released exactly once,
/// by <see cref="Tensor.Dispose"/> or, if the owner forgot, by the finalizer; a native call in flight
/// holds a reference, so a concurrent Dispose cannot free the tensor under it.
/// </summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public TensorHandle(nint handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.lq_tensor_free(handle);
        return true;
    }
}
