using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>
/// The native solvers against tests/reference/odeint_ref.py, a PyTorch implementation of
/// torchdiffeq's algorithms written from LIQUID-SEMANTICS.md §6.4 (data: make_ode.py).
/// </summary>
/// <remarks>
/// Both sides run the same algorithm with the same tableau, controller and dtypes; they differ
/// only in the order of floating-point sums (the reference sums stages with torch.sum over a
/// stacked axis and norms with torch.mean; the native side sums stages in stage order and norms
/// in a double loop). An error estimate is a difference of nearly equal sums, so when a step's
/// error ratio sits near rounding level (tight tolerances) its value moves by up to 1e-4 relative
/// with the summation order, and the next step size by up to 8e-6 relative: measured within
/// odeint_ref.py itself, stacked against stage-order sums, on linear_rotation_dopri5
/// (LIQUID-SEMANTICS.md reports about 1e-9 for its case). So in float64 every accept/reject
/// decision and every count must agree exactly; step sizes agree within 1e-5 relative with the
/// torchdiffeq-order reference and within 1e-8 with the same reference summing in stage order
/// (steps_sequential; the worst case left, 3.4e-9, comes from the initial step's norms). A wrong
/// coefficient or controller rule shows up at 1e-3 or as a different decision. In float32 the
/// sequences may drift apart (pitfall 11), so only counts and the trajectory, within the
/// solver's tolerance, are compared.
/// </remarks>
public sealed class OdeReferenceTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in OdeCase.Names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrajectoryAndCountsMatch(string name)
    {
        using var c = OdeCase.Load(name);
        using var field = c.BuildField();
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var solution = Ode.Solve((IOdeFunction)field, c.Get("y0"), c.Get("t"), c.Options);
        Assert.Equal(c.Stats(), new[] { solution.Stats.Nfe, solution.Stats.Accepted, solution.Stats.Rejected });
        var (rtol, atol) = c.DType == DType.Float64 ? (1e-10, 1e-12) : (1e-5, 1e-5);
        TensorAssert.Close(c.Get("solution"), solution.Trajectory, rtol, atol);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepSequenceMatches(string name)
    {
        using var c = OdeCase.Load(name);
        if (c.DType != DType.Float64) return; // float32: counts only (pitfall 11), checked above
        using var field = c.BuildField();
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var steps = Ode.Solve((IOdeFunction)field, c.Get("y0"), c.Get("t"), c.Options).Steps!;
        // torchdiffeq's summation order: the same decisions, step sizes as close as the order allows.
        CompareSteps(c.Get("steps").ToArray<double>(), steps, dtRtol: 1e-5, ratioRtol: 1e-3);
        // The reference summed in the native solver's stage order: only the norms' sums still differ.
        if (c.Has("steps_sequential"))
            CompareSteps(c.Get("steps_sequential").ToArray<double>(), steps, dtRtol: 1e-8, ratioRtol: 1e-7);
    }

    private static void CompareSteps(double[] expected, IReadOnlyList<OdeStep> steps, double dtRtol, double ratioRtol)
    {
        Assert.Equal(expected.Length / 4, steps.Count);
        for (var k = 0; k < steps.Count; k++)
        {
            var (t0, dt, accepted, ratio) = (expected[4 * k], expected[4 * k + 1], expected[4 * k + 2] != 0, expected[4 * k + 3]);
            Assert.True(accepted == steps[k].Accepted, $"step {k}: accepted {steps[k].Accepted}, reference {accepted}");
            AssertRelative(t0, steps[k].T0, dtRtol, $"step {k} t0", absolute: 1e-15);
            AssertRelative(dt, steps[k].Dt, dtRtol, $"step {k} dt");
            AssertRelative(ratio, steps[k].ErrorRatio, ratioRtol, $"step {k} error ratio", absolute: 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatch(string name)
    {
        using var c = OdeCase.Load(name);
        using var field = c.BuildField();
        using var scope = TensorScope.Enter();
        var y0 = c.Get("y0").Clone().RequiresGrad_();
        var solution = Ode.Solve((IOdeFunction)field, y0, c.Get("t"), c.Options);
        solution.Trajectory.Mul(c.Get("projection")).Sum().Backward();
        var (rtol, atol) = c.DType == DType.Float64 ? (1e-8, 1e-10) : (1e-4, 1e-4);
        TensorAssert.Close(c.Get("grad.y0"), y0.Grad!, rtol, atol);
        var parameters = field.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var key in c.ParameterNames)
            TensorAssert.Close(c.Get($"grad.param.{key}"), parameters[key].Grad!, rtol, atol);
        if (c.IsAdjoint)
        {
            var b = solution.BackwardStats;
            Assert.Equal(c.Stats("backward_stats"), new[] { b.Nfe, b.Accepted, b.Rejected });
        }
        else
        {
            Assert.Equal(default, solution.BackwardStats);
        }
    }

    private static void AssertRelative(double expected, double actual, double rtol, string what, double absolute = 0)
    {
        var difference = Math.Abs(expected - actual);
        Assert.True(difference <= absolute + rtol * Math.Abs(expected),
            $"{what}: expected {expected:R}, actual {actual:R} (relative difference {difference / Math.Abs(expected):G3})");
    }
}
