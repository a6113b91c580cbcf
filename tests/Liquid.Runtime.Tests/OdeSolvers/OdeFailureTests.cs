using System.Runtime.CompilerServices;
using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>
/// What goes wrong inside a solve: a vector field that throws (forward and in the adjoint's
/// backward pass), too many steps, NaN, bad arguments. Each must end in a clear managed exception,
/// leave the process working and leak no native tensor.
/// </summary>
[Collection(LiveTensorCountCollection.Name)]
public sealed class OdeFailureTests
{
    private static long SettledLiveCount()
    {
        Assert.True(TensorScope.Current is null, "a scope left open on this thread would own the tensors these tests create");
        for (var k = 0; k < 3; k++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return Torch.LiveTensors;
    }

    private static Tensor Times(params double[] t) => Tensor.From(t);

    [Theory]
    [InlineData(OdeMethod.Dopri5, false, 1)]
    [InlineData(OdeMethod.Dopri5, false, 9)]
    [InlineData(OdeMethod.Rk4, false, 6)]
    [InlineData(OdeMethod.Dopri5, true, 9)]
    public void AFieldExceptionReachesTheCallerIntact(OdeMethod method, bool adjoint, int failAt)
    {
        using var inner = MlpField.Random(3, dim: 3, hidden: 4);
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            using var field = new FaultyField(inner, failAt);
            var y0 = Tensor.Randn([2, 3], DType.Float64).RequiresGrad_();
            var options = new OdeOptions { Method = method, StepSize = method == OdeMethod.Rk4 ? 0.1 : null, Adjoint = adjoint };
            var error = Assert.Throws<FieldFailure>(() => Ode.Solve(field, y0, Times(0, 1), options));
            Assert.Equal($"evaluation {failAt} failed", error.Message);
            Assert.Contains(nameof(FaultyField), error.StackTrace); // the original exception, with its stack
            Assert.Equal(failAt, field.Evaluations);
        }
        Assert.Equal(baseline, SettledLiveCount());
        // The process and the native library are fine: the next solve works.
        using (var scope = TensorScope.Enter())
        {
            var solution = Ode.Solve(inner, Tensor.Randn([2, 3], DType.Float64), Times(0, 1));
            Assert.True(solution.Stats.Accepted > 0);
        }
        Assert.Equal(baseline, SettledLiveCount());
    }

    [Fact]
    public void AFieldExceptionInTheAdjointBackwardPassReachesTheCaller()
    {
        using var inner = MlpField.Random(4, dim: 3, hidden: 4);
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            using var field = new FaultyField(inner, failAt: 1_000_000);
            var y0 = Tensor.Randn([2, 3], DType.Float64).RequiresGrad_();
            var solution = Ode.Solve(field, y0, Times(0, 0.5, 1), new OdeOptions { Adjoint = true });
            var forward = field.Evaluations;
            // Fail a few evaluations into the first reverse solve.
            field.FailAfter(forward + 5);
            var loss = solution.Trajectory.Sum();
            var error = Assert.Throws<FieldFailure>(() => loss.Backward());
            Assert.Equal($"evaluation {forward + 5} failed", error.Message);
        }
        Assert.Equal(baseline, SettledLiveCount());
    }

    [Fact]
    public void ExceedingMaxNumStepsThrowsAClearException()
    {
        using var scope = TensorScope.Enter();
        using var field = MlpField.Random(5, dim: 3, hidden: 4);
        var options = new OdeOptions { Rtol = 1e-12, Atol = 1e-14, MaxNumSteps = 10 };
        var error = Assert.Throws<OdeSolverException>(() => Ode.Solve(field, Tensor.Randn([2, 3], DType.Float64), Times(0, 5), options));
        Assert.Contains("max_num_steps exceeded", error.Message);
        Assert.Contains("t = 5", error.Message);
        // The limit counts steps between two output times, so finer outputs need fewer per interval.
        var fine = Ode.Solve(field, Tensor.Randn([2, 3], DType.Float64), Tensor.Linspace(0, 0.5, 200, DType.Float64), options);
        Assert.True(fine.Stats.Accepted > 10);
    }

    [Fact]
    public void NaNFromTheFieldEndsTheSolveWithAClearError()
    {
        using var inner = MlpField.Random(6, dim: 3, hidden: 4);
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            using var field = new FaultyField(inner, failAt: 20, nan: true);
            var error = Assert.Throws<OdeSolverException>(() => Ode.Solve(field, Tensor.Randn([2, 3], DType.Float64), Times(0, 10)));
            Assert.Contains("not finite", error.Message);
            Assert.True(field.Evaluations < 40, $"the solver kept going for {field.Evaluations} evaluations");
        }
        Assert.Equal(baseline, SettledLiveCount());
    }

    [Fact]
    public void ANonFiniteInitialStateIsRefused()
    {
        using var scope = TensorScope.Enter();
        using var field = MlpField.Random(7, dim: 3, hidden: 4);
        var y0 = Tensor.From(new[] { 1.0, double.NaN, 0.0 }, 1, 3);
        var error = Assert.Throws<OdeSolverException>(() => Ode.Solve(field, y0, Times(0, 1)));
        Assert.Contains("non-finite values in the state at t = 0", error.Message);
    }

    [Fact]
    public void FixedGridSolversPropagateNaNAsTorchdiffeqDoes()
    {
        // torchdiffeq's fixed-grid solvers take their steps whatever the values; so do ours (no hang
        // is possible: the grid is fixed).
        using var scope = TensorScope.Enter();
        using var inner = MlpField.Random(8, dim: 3, hidden: 4);
        using var field = new FaultyField(inner, failAt: 3, nan: true);
        var solution = Ode.Solve(field, Tensor.Randn([2, 3], DType.Float64), Times(0, 1), new OdeOptions { Method = OdeMethod.Euler, StepSize = 0.25 });
        Assert.Equal(4, field.Evaluations);
        Assert.All(solution.Final().ToArray<double>(), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void AFieldReturningTheWrongShapeIsNamed()
    {
        using var scope = TensorScope.Enter();
        var error = Assert.Throws<TorchException>(() => Ode.Solve(new WrongShapeField(), Tensor.Zeros([2, 3], DType.Float64), Times(0, 1)));
        Assert.Contains("vector field returned shape [2, 2] for a state of shape [2, 3]", error.Message);
        Assert.Equal("Ode.Solve", error.Op);
    }

    [Theory]
    [InlineData(new[] { 0.0, 1.0, 1.0 }, "strictly monotone")]
    [InlineData(new[] { 0.0, 1.0, 0.5 }, "strictly monotone")]
    [InlineData(new[] { 0.0, double.NaN }, "non-finite")]
    public void BadTimesAreRefused(double[] times, string message)
    {
        using var scope = TensorScope.Enter();
        var error = Assert.Throws<ArgumentException>(() => Ode.Solve(new DecayField(1), Tensor.Ones([2], DType.Float64), Tensor.From(times)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        using var scope = TensorScope.Enter();
        var field = new DecayField(1);
        var y0 = Tensor.Ones([2], DType.Float64);
        Assert.Throws<ArgumentException>(() => Ode.Solve(field, Tensor.Ones([2], DType.Int64), Times(0, 1)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Tensor.Zeros([0], DType.Float64)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Tensor.From(new long[] { 0, 1 })));
        Assert.Contains("Rtol", Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Times(0, 1), new OdeOptions { Rtol = -1 })).Message);
        Assert.Contains("StepSize", Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Times(0, 1), new OdeOptions { Method = OdeMethod.Euler, StepSize = 0 })).Message);
        Assert.Contains("MaxStep", Assert.Throws<ArgumentException>(() => Ode.Solve(field, y0, Times(0, 1), new OdeOptions { MinStep = 1, MaxStep = 0.5 })).Message);
    }

    [Fact]
    public void SolvesAndBackwardPassesLeakNothing()
    {
        using var field = MlpField.Random(9, dim: 3, hidden: 4);
        var baseline = SettledLiveCount();
        foreach (var options in new[]
                 {
                     new OdeOptions { Rtol = 1e-6, Atol = 1e-8, RecordSteps = true },
                     new OdeOptions { Rtol = 1e-6, Atol = 1e-8, Adjoint = true },
                     new OdeOptions { Method = OdeMethod.Rk4, StepSize = 0.1, Adjoint = true },
                     new OdeOptions { Method = OdeMethod.Midpoint, StepSize = 0.3 },
                 })
        {
            for (var k = 0; k < 20; k++)
            {
                using var scope = TensorScope.Enter();
                var y0 = Tensor.Randn([2, 3], DType.Float64).RequiresGrad_();
                var solution = Ode.Solve(field, y0, Times(0, 0.5, 1.0), options);
                solution.Trajectory.Sum().Backward();
                field.ZeroGrad();
            }
            Assert.Equal(baseline, SettledLiveCount());
        }
    }

    [Fact]
    public void TheFieldIsReleasedWhenTheGraphIsGone()
    {
        // Native code holds the field through a GCHandle for as long as an adjoint graph may call it:
        // while the trajectory lives the field must stay reachable; once it is disposed (and with it
        // the graph), the handle must be freed.
        var (reference, trajectory) = SolveAndKeep();
        Collect();
        Assert.True(reference.IsAlive, "the vector field was collected while its adjoint graph still needed it");
        using (var scope = TensorScope.Enter()) trajectory.Sum().Backward();
        trajectory.Dispose();
        Collect();
        Assert.False(reference.IsAlive, "the vector field is still reachable after its solution was disposed");
    }

    private static void Collect()
    {
        for (var k = 0; k < 3; k++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference, Tensor) SolveAndKeep()
    {
        var field = new DecayField(0.5);
        using var y0 = Tensor.Ones([3], DType.Float64).RequiresGrad_();
        using var t = Times(0, 1);
        var solution = Ode.Solve(field, y0, t, new OdeOptions { Adjoint = true });
        return (new WeakReference(field), solution.Trajectory);
    }

    private sealed class WrongShapeField : IOdeFunction
    {
        public Tensor Evaluate(Tensor t, Tensor y) => Tensor.Zeros([2, 2], DType.Float64);
    }
}
