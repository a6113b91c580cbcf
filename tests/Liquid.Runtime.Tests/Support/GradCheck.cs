using System.Globalization;

namespace Liquid.Runtime.Tests.Support;

/// <summary>
/// Finite-difference gradient checker in float64 (the idea of <c>torch.autograd.gradcheck</c>).
/// </summary>
/// <remarks>
/// The function's output y = f(x₀, x₁, …) may have any shape; it is reduced to the scalar
/// L = Σ y ⊙ W with a fixed pseudo-random projection W (seeded, entries in [−1, 1] away from 0), so
/// that every output component influences L with its own weight. autograd's ∂L/∂xᵢ (read from
/// <see cref="Tensor.Grad"/> after <see cref="Tensor.Backward"/>) is compared with central
/// differences (L(x + εeₖ) − L(x − εeₖ)) / 2ε computed element by element. Perturbed inputs are
/// rebuilt from double arrays and evaluated under <see cref="Torch.NoGrad"/>; every intermediate
/// lives in a <see cref="TensorScope"/>, so a check leaves no native tensor behind.
/// </remarks>
public static class GradCheck
{
    /// <summary>Step of the central differences.</summary>
    public const double DefaultEps = 1e-6;

    /// <summary>Relative tolerance of the comparison (tighter than gradcheck's usual 1e-5).</summary>
    /// <remarks>
    /// Central differences with ε = 1e-6 in float64 err by about ε² (truncation) plus 1e-16·|L|/ε
    /// (rounding); the largest disagreement seen over GradientTests was 1.4e-9 (layer_norm).
    /// </remarks>
    public const double DefaultRtol = 1e-6;

    /// <summary>Absolute tolerance of the comparison (tighter than gradcheck's usual 1e-7).</summary>
    public const double DefaultAtol = 1e-8;

    /// <summary>
    /// Asserts that autograd's gradient of every input matches finite differences. Each input must be
    /// a float64 leaf with <see cref="Tensor.RequiresGrad"/> set; its accumulated gradient is cleared
    /// before and after the check.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> function, Tensor[] inputs,
        double eps = DefaultEps, double rtol = DefaultRtol, double atol = DefaultAtol, int seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        Assert.NotEmpty(inputs);
        foreach (var input in inputs)
        {
            Assert.Equal(DType.Float64, input.DType);
            Assert.True(input.RequiresGrad, "every input of a gradient check must require grad");
            input.ZeroGrad();
        }

        var shapes = inputs.Select(t => t.Shape).ToArray();
        var values = inputs.Select(t => t.ToArray<double>()).ToArray();

        using var scope = TensorScope.Enter();

        // Analytic gradients through autograd.
        var output = function(inputs);
        Assert.Equal(DType.Float64, output.DType);
        var projection = Projection(output.Shape, seed);
        var loss = output.Mul(projection).Sum();
        loss.Backward();
        var analytic = new double[inputs.Length][];
        for (var i = 0; i < inputs.Length; i++)
        {
            var grad = inputs[i].Grad;
            // No gradient at all means autograd saw no path from this input: zero, which the
            // finite differences must then confirm.
            analytic[i] = grad is null ? new double[values[i].Length] : grad.ToArray<double>();
            if (grad is not null) Assert.Equal(shapes[i], grad.Shape);
            inputs[i].ZeroGrad();
        }

        // Numerical gradients by central differences, one element at a time.
        using (Torch.NoGrad())
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var numeric = new double[values[i].Length];
                for (var k = 0; k < numeric.Length; k++)
                {
                    var original = values[i][k];
                    values[i][k] = original + eps;
                    var plus = Evaluate(function, values, shapes, projection);
                    values[i][k] = original - eps;
                    var minus = Evaluate(function, values, shapes, projection);
                    values[i][k] = original;
                    numeric[k] = (plus - minus) / (2 * eps);
                }
                Compare(i, shapes[i], numeric, analytic[i], rtol, atol);
            }
        }
    }

    /// <summary>Same as <see cref="Check(Func{Tensor[], Tensor}, Tensor[], double, double, double, int)"/> for one input.</summary>
    public static void Check(Func<Tensor, Tensor> function, Tensor input,
        double eps = DefaultEps, double rtol = DefaultRtol, double atol = DefaultAtol) =>
        Check(xs => function(xs[0]), [input], eps, rtol, atol);

    /// <summary>A float64 leaf that requires grad, holding <paramref name="data"/> in <paramref name="shape"/>.</summary>
    public static Tensor Leaf(double[] data, params long[] shape) => Tensor.From(data, shape).RequiresGrad_();

    private static double Evaluate(Func<Tensor[], Tensor> function, double[][] values, long[][] shapes, Tensor projection)
    {
        using var scope = TensorScope.Enter();
        var inputs = new Tensor[values.Length];
        for (var i = 0; i < inputs.Length; i++) inputs[i] = Tensor.From(values[i], shapes[i]);
        var output = function(inputs);
        return output.Mul(projection).Sum().Item();
    }

    // Entries uniform in ±[0.5, 1]: no component of the output is weighted (nearly) zero.
    private static Tensor Projection(long[] shape, int seed)
    {
        var random = new Random(seed);
        long count = 1;
        foreach (var size in shape) count *= size;
        var data = new double[count];
        for (var k = 0; k < data.Length; k++)
            data[k] = (random.Next(2) == 0 ? -1 : 1) * (0.5 + 0.5 * random.NextDouble());
        return Tensor.From(data, shape);
    }

    private static void Compare(int input, long[] shape, double[] numeric, double[] analytic, double rtol, double atol)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        var worst = -1;
        var worstExcess = 0.0;
        for (var k = 0; k < numeric.Length; k++)
        {
            var excess = Math.Abs(numeric[k] - analytic[k]) - (atol + rtol * Math.Abs(numeric[k]));
            if (double.IsNaN(excess) || excess > worstExcess)
            {
                worst = k;
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
            Assert.Fail(string.Format(CultureInfo.InvariantCulture,
                "input {0} [{1}], element {2}: finite differences give {3:R}, autograd gives {4:R} (|diff| {5:G3} > atol {6:G3} + rtol {7:G3}·|numeric|)",
                input, string.Join(", ", shape), worst, numeric[worst], analytic[worst],
                Math.Abs(numeric[worst] - analytic[worst]), atol, rtol));
    }
}
