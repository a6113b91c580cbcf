using Liquid.Runtime.Interop;

namespace Liquid.Runtime;

public sealed partial class Tensor
{
    /// <summary>Whether autograd records ops on this tensor (<c>tensor.requires_grad</c>).</summary>
    public bool RequiresGrad
    {
        get => Native.lq_tensor_requires_grad(H()) == 1;
        set => Check(Native.lq_tensor_set_requires_grad(H(), value ? 1 : 0));
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this (<c>tensor.requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>
    /// Accumulates d(this)/d(leaf) into every leaf's <see cref="Grad"/> (<c>tensor.backward</c>).
    /// A non-scalar tensor needs <paramref name="gradient"/>; <paramref name="retainGraph"/> keeps the
    /// graph for another backward pass.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        Check(Native.lq_backward(H(), gradient is null ? TensorHandleNull : gradient.H(), retainGraph ? 1 : 0));

    /// <summary>
    /// The accumulated gradient (<c>tensor.grad</c>), or null before any backward pass. Each read returns
    /// a new handle sharing the gradient's storage: dispose it or read it inside a scope.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            Check(Native.lq_grad(H(), out var raw));
            return raw == IntPtr.Zero ? null : new Tensor(raw);
        }
    }

    /// <summary>Drops the accumulated gradient (<c>tensor.grad = None</c>).</summary>
    public void ZeroGrad() => Check(Native.lq_zero_grad(H()));

    /// <summary>The same values cut from the autograd graph, sharing storage (<c>tensor.detach</c>).</summary>
    public Tensor Detach() => Wrap(Native.lq_detach(H()));

    /// <summary>
    /// Replaces this tensor's data in place, keeping its identity (PyTorch's <c>param.data = x</c>);
    /// used to move or convert module parameters. Cached shape and dtype are dropped.
    /// </summary>
    internal void SetData(Tensor data, [System.Runtime.CompilerServices.CallerMemberName] string op = "")
    {
        Check(Native.lq_set_data(H(op), data.H(op)), op);
        _shape = null;
        _dtype = null;
    }

    // Optional tensor arguments cross the ABI as a null handle.
    internal static readonly TensorHandle TensorHandleNull = new();
}
