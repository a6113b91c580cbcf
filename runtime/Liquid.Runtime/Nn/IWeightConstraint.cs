namespace Liquid.Runtime.Nn;

/// <summary>
/// A module whose parameters must be projected back onto a constraint set after every optimizer step
/// (an LTC's clamped positive weights, as ncps's <c>apply_weight_constraints</c>). The trainer calls
/// <see cref="ApplyWeightConstraints"/> on every such module of the model after each step.
/// </summary>
public interface IWeightConstraint
{
    /// <summary>Projects the parameters in place (without recording gradients); a no-op when unconstrained.</summary>
    void ApplyWeightConstraints();
}
