namespace Liquid.Runtime.Nn.OdeSolvers;

/// <summary>
/// A vector field dy/dt = f(t, y) for <see cref="Ode.Solve"/> (torchdiffeq's <c>func</c>). Layers
/// implement it on a <see cref="Module"/>, so that the adjoint finds the parameters to differentiate.
/// </summary>
public interface IOdeFunction
{
    /// <summary>
    /// dy/dt at time <paramref name="t"/> (a zero-dimensional tensor of <paramref name="y"/>'s dtype)
    /// and state <paramref name="y"/>; returns a tensor of y's shape, dtype and device. Intermediates
    /// may be left to the caller: each evaluation runs inside its own <see cref="TensorScope"/>.
    /// </summary>
    Tensor Evaluate(Tensor t, Tensor y);

    /// <summary>
    /// The tensors the adjoint method differentiates besides y0 (torchdiffeq's <c>adjoint_params</c>):
    /// by default every parameter of this module that requires grad. Override it when the field
    /// also reads other tensors that need gradients.
    /// </summary>
    IEnumerable<Tensor> AdjointParameters() =>
        this is Module module ? module.Parameters().Where(p => p.RequiresGrad) : [];
}
