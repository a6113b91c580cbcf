using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>
/// Gradients of solves: direct backpropagation and the adjoint against finite differences in
/// float64, and the adjoint against direct backpropagation.
/// </summary>
public sealed class OdeGradientTests
{
    private const long Dim = 3, Hidden = 4;

    // y0 [2, 3] and the five parameters of the "mlp" field, float64 leaves that require grad.
    private static Tensor[] Inputs(int seed)
    {
        Torch.ManualSeed((ulong)seed);
        Tensor Leaf(long[] shape, double scale) => Tensor.Randn(shape, DType.Float64).Mul(scale).RequiresGrad_();
        return [Leaf([2, Dim], 1), Leaf([Hidden, Dim], 1), Leaf([Hidden], 0.5), Leaf([Hidden], 1), Leaf([Dim, Hidden], 0.6), Leaf([Dim], 0.3)];
    }

    private static Func<Tensor[], Tensor> Solve(double[] times, OdeOptions options) => inputs =>
    {
        var field = new MlpFunction(inputs[1], inputs[2], inputs[3], inputs[4], inputs[5]);
        return Ode.Solve(field, inputs[0], Tensor.From(times), options).Trajectory;
    };

    [Theory]
    [InlineData(OdeMethod.Euler)]
    [InlineData(OdeMethod.Midpoint)]
    [InlineData(OdeMethod.Rk4)]
    public void FixedGridBackpropagationMatchesFiniteDifferences(OdeMethod method)
    {
        using var scope = TensorScope.Enter();
        // An off-grid output time, so the linear interpolation is differentiated too.
        GradCheck.Check(Solve([0.0, 0.35, 1.0], new OdeOptions { Method = method, StepSize = 0.1 }), Inputs(1));
    }

    [Fact]
    public void Dopri5BackpropagationMatchesFiniteDifferences()
    {
        // Differences of an adaptive solve also see the step sizes move with the inputs; at a
        // tight tolerance that effect is far below the check's tolerance.
        using var scope = TensorScope.Enter();
        GradCheck.Check(Solve([0.0, 0.6, 1.5], new OdeOptions { Rtol = 1e-12, Atol = 1e-14 }), Inputs(2), rtol: 1e-6, atol: 1e-8);
    }

    [Fact]
    public void AdjointMatchesFiniteDifferences()
    {
        using var scope = TensorScope.Enter();
        GradCheck.Check(Solve([0.0, 0.6, 1.5], new OdeOptions { Rtol = 1e-12, Atol = 1e-14, Adjoint = true }), Inputs(3), rtol: 1e-6, atol: 1e-8);
    }

    [Fact]
    public void FixedGridAdjointMatchesFiniteDifferencesOfTheExactFlow()
    {
        // The fixed-grid adjoint integrates the adjoint system with its own steps: its gradient is
        // that of the exact flow up to O(h^4), not the exact gradient of the discrete forward map.
        using var scope = TensorScope.Enter();
        GradCheck.Check(Solve([0.0, 0.5, 1.0], new OdeOptions { Method = OdeMethod.Rk4, StepSize = 0.005, Adjoint = true }), Inputs(4),
            rtol: 1e-6, atol: 1e-7);
    }

    [Theory]
    [InlineData(1e-6, 1e-8)]
    [InlineData(1e-9, 1e-11)]
    public void AdjointEqualsDirectWithinTheSolverTolerance(double rtol, double atol)
    {
        // Both gradients approximate the exact one to about the solver tolerance, accumulated over
        // the solve (gradients here are O(1)): allow 100·rtol. Seen: 1.2e-5 at rtol 1e-6, 8.8e-9
        // at rtol 1e-9, so the difference shrinks with the tolerance.
        var allowed = 100 * rtol;
        using var scope = TensorScope.Enter();
        var times = new[] { 0.0, 0.4, 1.2, 2.0 };
        var options = new OdeOptions { Rtol = rtol, Atol = atol };
        var direct = Gradients(Inputs(5), Solve(times, options));
        var adjoint = Gradients(Inputs(5), Solve(times, options with { Adjoint = true }));
        var seminorm = Gradients(Inputs(5), Solve(times, options with { Adjoint = true, AdjointNorm = OdeAdjointNorm.Seminorm }));
        var worst = 0.0;
        for (var i = 0; i < direct.Length; i++)
        {
            TensorAssert.Close(direct[i], adjoint[i], rtol: allowed, atol: allowed);
            TensorAssert.Close(direct[i], seminorm[i], rtol: allowed, atol: allowed);
            worst = Math.Max(worst, direct[i].Zip(adjoint[i], (a, b) => Math.Abs(a - b)).Max());
        }
        // The agreement comes from accuracy, not from the adjoint replaying direct backpropagation.
        Assert.True(worst > 0, "adjoint and direct gradients agree bit for bit, which the adjoint method cannot do");
    }

    [Fact]
    public void AdjointOfADecreasingSolveEqualsDirect()
    {
        using var scope = TensorScope.Enter();
        var times = new[] { 1.5, 0.7, -0.5 };
        var options = new OdeOptions { Rtol = 1e-10, Atol = 1e-12 };
        var direct = Gradients(Inputs(6), Solve(times, options));
        var adjoint = Gradients(Inputs(6), Solve(times, options with { Adjoint = true }));
        for (var i = 0; i < direct.Length; i++) TensorAssert.Close(direct[i], adjoint[i], rtol: 1e-6, atol: 1e-7);
    }

    [Fact]
    public void AdjointCountsItsReverseSolves()
    {
        // One reverse dopri5 solve per output interval, each with its own initial step selection:
        // NFE = Σ (2 + 6·steps) over the intervals.
        using var scope = TensorScope.Enter();
        var inputs = Inputs(7);
        var field = new MlpFunction(inputs[1], inputs[2], inputs[3], inputs[4], inputs[5]);
        var solution = Ode.Solve(field, inputs[0], Tensor.From(new[] { 0.0, 0.5, 1.0, 1.5 }), new OdeOptions { Rtol = 1e-6, Atol = 1e-8, Adjoint = true });
        Assert.Equal(default, solution.BackwardStats);
        solution.Trajectory.Sum().Backward();
        var b = solution.BackwardStats;
        Assert.Equal(3 * 2 + 6 * (b.Accepted + b.Rejected), b.Nfe);
        Assert.True(b.Accepted >= 3);
    }

    [Fact]
    public void TheAdjointForwardRecordsNoGraph()
    {
        // Memory independent of the number of steps: the adjoint's forward evaluates the field with
        // gradients off, so nothing per step is kept; direct backpropagation records every stage
        // (all but the initial step's probe, which torchdiffeq also runs under no_grad).
        using var scope = TensorScope.Enter();
        var inputs = Inputs(8);
        var field = new GradModeProbe(new MlpFunction(inputs[1], inputs[2], inputs[3], inputs[4], inputs[5]));
        var times = Tensor.From(new[] { 0.0, 1.0 });
        var adjoint = Ode.Solve(field, inputs[0], times, new OdeOptions { Rtol = 1e-6, Atol = 1e-8, Adjoint = true });
        Assert.Equal(adjoint.Stats.Nfe, field.Calls.Count);
        Assert.DoesNotContain(true, field.Calls);
        field.Calls.Clear();
        adjoint.Trajectory.Sum().Backward();
        Assert.Equal(adjoint.BackwardStats.Nfe, field.Calls.Count);
        Assert.DoesNotContain(false, field.Calls); // each reverse evaluation takes a vector-Jacobian product
        field.Calls.Clear();
        var direct = Ode.Solve(field, inputs[0], times, new OdeOptions { Rtol = 1e-6, Atol = 1e-8 });
        Assert.Equal(direct.Stats.Nfe - 1, field.Calls.Count(recorded => recorded));
        Assert.False(field.Calls[1]);
    }

    private sealed class GradModeProbe(IOdeFunction inner) : IOdeFunction
    {
        public List<bool> Calls { get; } = new();

        public Tensor Evaluate(Tensor t, Tensor y)
        {
            Calls.Add(Torch.IsGradEnabled);
            return inner.Evaluate(t, y);
        }

        public IEnumerable<Tensor> AdjointParameters() => inner.AdjointParameters();
    }

    private static double[][] Gradients(Tensor[] inputs, Func<Tensor[], Tensor> function)
    {
        using var scope = TensorScope.Enter();
        var output = function(inputs);
        using var projection = Tensor.Linspace(-1, 1, output.NumElements, DType.Float64).Reshape(output.Shape);
        output.Mul(projection).Sum().Backward();
        return inputs.Select(x => x.Grad!.ToArray<double>()).ToArray();
    }
}
