using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>The solvers against closed-form solutions, orders of convergence and hand-computed grids.</summary>
public sealed class OdeClosedFormTests
{
    private static readonly double[] Y0 = [1.0, -2.0, 0.5];

    private static double[] Decay(double k, double t0, double t) => Y0.Select(y => y * Math.Exp(-k * (t - t0))).ToArray();

    [Fact]
    public void Dopri5SolvesExponentialDecay()
    {
        using var scope = TensorScope.Enter();
        var times = new[] { 0.0, 0.5, 1.0, 2.0, 3.5 };
        var solution = Ode.Solve(new DecayField(0.7), Tensor.From(Y0), Tensor.From(times),
            new OdeOptions { Rtol = 1e-10, Atol = 1e-12 });
        for (var i = 0; i < times.Length; i++)
            TensorAssert.Close(Decay(0.7, 0, times[i]), solution.Trajectory.Select(0, i), rtol: 1e-9, atol: 1e-12);
        // Each dopri5 solve costs 2 evaluations to start and 6 per attempted step.
        Assert.Equal(2 + 6 * (solution.Stats.Accepted + solution.Stats.Rejected), solution.Stats.Nfe);
    }

    [Theory]
    [InlineData(OdeMethod.Dopri5)]
    [InlineData(OdeMethod.Rk4)]
    public void DecreasingTimeIntegratesBackwards(OdeMethod method)
    {
        using var scope = TensorScope.Enter();
        var times = new[] { 2.0, 1.25, 0.0 };
        var options = new OdeOptions { Method = method, Rtol = 1e-10, Atol = 1e-12, StepSize = method == OdeMethod.Rk4 ? 0.01 : null };
        var solution = Ode.Solve(new DecayField(0.7), Tensor.From(Y0), Tensor.From(times), options);
        for (var i = 0; i < times.Length; i++)
            TensorAssert.Close(Decay(0.7, 2.0, times[i]), solution.Trajectory.Select(0, i), rtol: 1e-9, atol: 1e-12);
    }

    [Fact]
    public void Dopri5SolvesARotation()
    {
        // dy/dt = A y with A = [[0, −ω], [ω, 0]] (eigenvalues ±iω): y(t) = R(ωt) y0.
        using var scope = TensorScope.Enter();
        const double omega = 2.0;
        var a = Tensor.From(new[] { 0.0, -omega, omega, 0.0 }, 2, 2);
        var y0 = Tensor.From(new[] { 1.0, 0.0, 0.5, -1.0 }, 2, 2);
        var times = Enumerable.Range(0, 13).Select(k => 0.25 * k).ToArray();
        using var field = new LinearField(a);
        using var noGrad = Torch.NoGrad();
        var solution = Ode.Solve(field, y0, Tensor.From(times), new OdeOptions { Rtol = 1e-10, Atol = 1e-12 });
        for (var i = 0; i < times.Length; i++)
        {
            var (c, s) = (Math.Cos(omega * times[i]), Math.Sin(omega * times[i]));
            double[] expected = [c * 1.0 - s * 0.0, s * 1.0 + c * 0.0, c * 0.5 + s * 1.0, s * 0.5 - c * 1.0];
            TensorAssert.Close(expected, solution.Trajectory.Select(0, i), rtol: 1e-8, atol: 1e-9);
        }
    }

    [Theory]
    [InlineData("linear_general_dopri5", 1e-8)]
    [InlineData("linear_general_rk4", 1e-10)]
    public void LinearSystemMatchesTheMatrixExponential(string name, double tolerance)
    {
        // The reference file holds y0·expm(A t)ᵀ from scipy.linalg.expm.
        using var c = OdeCase.Load(name);
        using var field = c.BuildField();
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var solution = Ode.Solve((IOdeFunction)field, c.Get("y0"), c.Get("t"), c.Options);
        TensorAssert.Close(c.Get("exact"), solution.Trajectory, rtol: tolerance, atol: tolerance);
    }

    [Theory]
    [InlineData(OdeMethod.Euler, 1, 1)]
    [InlineData(OdeMethod.Midpoint, 2, 2)]
    [InlineData(OdeMethod.Rk4, 4, 4)]
    public void FixedGridMethodsConvergeAtTheirOrder(OdeMethod method, int order, int evaluationsPerStep)
    {
        // Halving the step divides the global error by 2^order.
        using var scope = TensorScope.Enter();
        double Error(double h, out long nfe)
        {
            var field = new DecayField(1.3);
            var solution = Ode.Solve(field, Tensor.From(Y0), Tensor.From(new[] { 0.0, 1.0 }), new OdeOptions { Method = method, StepSize = h });
            nfe = solution.Stats.Nfe;
            Assert.Equal(nfe, field.Evaluations);
            var final = solution.Final().ToArray<double>();
            return final.Zip(Decay(1.3, 0, 1.0), (a, b) => Math.Abs(a - b)).Max();
        }
        var coarse = Error(0.05, out var nfeCoarse);
        var fine = Error(0.025, out var nfeFine);
        Assert.Equal(20 * evaluationsPerStep, nfeCoarse);
        Assert.Equal(40 * evaluationsPerStep, nfeFine);
        var observed = Math.Log2(coarse / fine);
        Assert.InRange(observed, order - 0.1, order + 0.25);
    }

    [Fact]
    public void OffGridOutputsAreInterpolatedLinearly()
    {
        // Euler with h = 0.3 over t = [0, 0.5, 1]: grid 0, 0.3, 0.6, 0.9, 1.0 (the last step shortened
        // to land on t[-1]); y(0.5) lies on the chord between the grid values at 0.3 and 0.6.
        using var scope = TensorScope.Enter();
        const double k = 0.8;
        var solution = Ode.Solve(new DecayField(k), Tensor.From(Y0), Tensor.From(new[] { 0.0, 0.5, 1.0 }),
            new OdeOptions { Method = OdeMethod.Euler, StepSize = 0.3 });
        double[] Grid(double y)
        {
            var values = new List<double> { y };
            foreach (var dt in new[] { 0.3, 0.6 - 0.3, 0.8999999999999999 - 0.6, 1.0 - 0.8999999999999999 })
                values.Add(values[^1] + dt * (-k * values[^1]));
            return values.ToArray();
        }
        var expectedHalf = Y0.Select(y => { var g = Grid(y); return g[1] + (0.5 - 0.3) / (0.6 - 0.3) * (g[2] - g[1]); }).ToArray();
        var expectedEnd = Y0.Select(y => Grid(y)[4]).ToArray();
        TensorAssert.Close(expectedHalf, solution.Trajectory.Select(0, 1), rtol: 1e-14, atol: 1e-15);
        TensorAssert.Close(expectedEnd, solution.Trajectory.Select(0, 2), rtol: 1e-14, atol: 1e-15);
        Assert.Equal(4, solution.Stats.Accepted);
    }

    [Fact]
    public void Dopri5StepsDoNotDependOnIntermediateOutputTimes()
    {
        // dopri5 never shortens a step to land on an output time; it interpolates (pitfall 9).
        using var scope = TensorScope.Enter();
        var field = MlpField.Random(7, dim: 3, hidden: 5);
        using var noGrad = Torch.NoGrad();
        var y0 = Tensor.Randn([2, 3], DType.Float64);
        var options = new OdeOptions { Rtol = 1e-6, Atol = 1e-8, RecordSteps = true };
        var endpoints = Ode.Solve(field, y0, Tensor.From(new[] { 0.0, 2.0 }), options);
        var dense = Ode.Solve(field, y0, Tensor.Linspace(0, 2, 41, DType.Float64), options);
        Assert.Equal(endpoints.Steps, dense.Steps);
        Assert.Equal(endpoints.Final().ToArray<double>(), dense.Final().ToArray<double>());
        field.Dispose();
    }

    [Fact]
    public void AStepWithinToleranceNeverShrinks()
    {
        // Pitfall 10: after an accepted step the factor is at least 1, so step sizes only fall after
        // a rejection.
        using var scope = TensorScope.Enter();
        var field = MlpField.Random(11, dim: 3, hidden: 6);
        using var noGrad = Torch.NoGrad();
        var solution = Ode.Solve(field, Tensor.Randn([2, 3], DType.Float64), Tensor.From(new[] { 0.0, 3.0 }),
            new OdeOptions { Rtol = 1e-7, Atol = 1e-9, RecordSteps = true });
        var steps = solution.Steps!;
        Assert.Contains(steps, s => !s.Accepted);
        for (var k = 1; k < steps.Count; k++)
        {
            if (steps[k - 1].Accepted) Assert.True(steps[k].Dt >= steps[k - 1].Dt, $"step {k} shrank after an accepted step");
            else Assert.True(steps[k].Dt < steps[k - 1].Dt, $"step {k} did not shrink after a rejection");
        }
        field.Dispose();
    }
}
