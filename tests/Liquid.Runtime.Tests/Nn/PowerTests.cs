using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>The <c>power</c> layer against its closed form: xᵖ and d/dx = p·xᵖ⁻¹.</summary>
public class PowerTests
{
    [Theory]
    [InlineData(3.0)]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void ValueAndGradientAreTheClosedForm(double p)
    {
        using var scope = TensorScope.Enter();
        double[] values = [0.25, 1.5, 2.0, 3.0];
        var x = Tensor.From(values, 4).RequiresGrad_();
        var y = new Power(p).Forward(x);
        y.Sum().Backward();
        Assert.Equal(values.Select(v => Math.Pow(v, p)), y.ToArray<double>(), (a, b) => Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(a)));
        Assert.Equal(values.Select(v => p * Math.Pow(v, p - 1)), x.Grad!.ToArray<double>(), (a, b) => Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(a)));
    }
}
