using System.Globalization;

namespace Liquid.Runtime.Tests.Support;

/// <summary>Assertions on tensor values with readable failure messages.</summary>
public static class TensorAssert
{
    /// <summary>
    /// Same shape, and every element within atol + rtol·|expected| (torch.allclose's rule), NaN only
    /// where NaN is expected. Reports the worst element on failure.
    /// </summary>
    public static void Close(double[] expected, Tensor actual, long[]? shape = null, double rtol = 1e-5, double atol = 1e-8)
    {
        if (shape is not null) Assert.Equal(shape, actual.Shape);
        Close(expected, actual.ToArray<double>(), rtol, atol);
    }

    /// <summary>Element-wise closeness of two tensors of the same shape.</summary>
    public static void Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-8)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.ToArray<double>(), actual.ToArray<double>(), rtol, atol);
    }

    /// <summary>Element-wise closeness of two flat arrays.</summary>
    public static void Close(double[] expected, double[] actual, double rtol = 1e-5, double atol = 1e-8)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = -1;
        var worstExcess = 0.0;
        for (var k = 0; k < expected.Length; k++)
        {
            if (double.IsNaN(expected[k]) || double.IsNaN(actual[k]))
            {
                if (double.IsNaN(expected[k]) != double.IsNaN(actual[k])) { worst = k; worstExcess = double.PositiveInfinity; }
                continue;
            }
            if (expected[k] == actual[k]) continue; // also covers equal infinities
            var excess = Math.Abs(expected[k] - actual[k]) - (atol + rtol * Math.Abs(expected[k]));
            if (excess > worstExcess) { worst = k; worstExcess = excess; }
        }
        if (worst >= 0)
            Assert.Fail(string.Format(CultureInfo.InvariantCulture,
                "element {0}: expected {1:R}, actual {2:R} (|diff| {3:G3} exceeds atol {4:G3} + rtol {5:G3}·|expected|)",
                worst, expected[worst], actual[worst], Math.Abs(expected[worst] - actual[worst]), atol, rtol));
    }
}
