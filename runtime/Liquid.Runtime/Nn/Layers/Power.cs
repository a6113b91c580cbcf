namespace Liquid.Runtime.Nn;

/// <summary>
/// xᵖ elementwise (the <c>power</c> kind): a fixed feature map, e.g. the cube torchdiffeq's spiral
/// demo feeds its vector field, which a tanh network on y alone fits poorly.
/// </summary>
public sealed class Power(double exponent) : Module
{
    /// <summary>The exponent p.</summary>
    public double Exponent { get; } = exponent;

    /// <summary>xᵖ.</summary>
    public Tensor Forward(Tensor input) => input.Pow(Exponent);
}
