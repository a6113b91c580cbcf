using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.OdeSolvers;

/// <summary>The neural_ode layer kind: options, registration, forward over fixed and given times, gradients.</summary>
public sealed class NeuralOdeTests
{
    [Fact]
    public void RegistersTheFieldUnderItsName()
    {
        using var layer = new NeuralOde(new NeuralOdeOptions(), MlpField.Random(1, dim: 3, hidden: 4));
        Assert.Equal(["field.W1", "field.b1", "field.c", "field.W2", "field.b2"], layer.NamedParameters().Select(p => p.Name));
        Assert.Equal(3 * 4 + 4 + 4 + 3 * 4 + 3, layer.ParameterCount);
    }

    [Fact]
    public void FinalStateOverTheFixedSpanIsTheSolversLastState()
    {
        using var field = MlpField.Random(2, dim: 3, hidden: 4);
        using var layer = new NeuralOde(new NeuralOdeOptions(Rtol: 1e-6, Atol: 1e-8, T0: 0.5, T1: 1.5), new ForwardingField(field));
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var y0 = Tensor.Randn([2, 3], DType.Float64);
        using var context = new ForwardContext(training: true);
        var output = layer.Forward(y0, null, context);
        var expected = Ode.Solve(field, y0, Tensor.From(new[] { 0.5, 1.5 }), new OdeOptions { Rtol = 1e-6, Atol = 1e-8 });
        Assert.Equal([2L, 3], output.Shape);
        Assert.Equal(expected.Final().ToArray<double>(), output.ToArray<double>());
        Assert.Equal(expected.Stats, layer.LastStats);
        Assert.Equal((double)expected.Stats.Nfe, context.Metrics["nfe"].Item());
    }

    [Fact]
    public void TrajectoryAtGivenTimesMatchesTheSolver()
    {
        // float32 state and times, integrated backwards on a fixed grid with an off-grid output.
        using var field = MlpField.Random(3, dim: 3, hidden: 4, DType.Float32);
        using var layer = new NeuralOde(new NeuralOdeOptions(Solver: OdeMethod.Rk4, StepSize: 0.1, Output: NeuralOdeOutput.Trajectory), new ForwardingField(field));
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var y0 = Tensor.Randn([4, 3], DType.Float32);
        var times = Tensor.From(new[] { 1.0f, 0.75f, 0.2f, -0.3f });
        var output = layer.Forward(y0, times);
        var expected = Ode.Solve(field, y0, times, new OdeOptions { Method = OdeMethod.Rk4, StepSize = 0.1 });
        Assert.Equal([4L, 4, 3], output.Shape);
        Assert.Equal(expected.Trajectory.ToArray<float>(), output.ToArray<float>());
    }

    [Fact]
    public void AdjointGradientsReachTheFieldsParameters()
    {
        using var direct = new NeuralOde(new NeuralOdeOptions(Rtol: 1e-10, Atol: 1e-12, Times: [0.0, 0.5, 1.0], Output: NeuralOdeOutput.Trajectory),
            MlpField.Random(4, dim: 3, hidden: 4));
        using var adjoint = new NeuralOde(direct.Options with { Adjoint = true }, MlpField.Random(4, dim: 3, hidden: 4));
        Torch.ManualSeed(40);
        using var y0 = Tensor.Randn([2, 3], DType.Float64);
        var gradients = new List<double[]>[2];
        foreach (var (layer, k) in new[] { (direct, 0), (adjoint, 1) })
        {
            using var scope = TensorScope.Enter();
            var input = y0.Clone().RequiresGrad_();
            layer.Forward(input).Sum().Backward();
            gradients[k] = [input.Grad!.ToArray<double>(), .. layer.Parameters().Select(p => p.Grad!.ToArray<double>())];
        }
        Assert.Equal(6, gradients[1].Count);
        for (var i = 0; i < gradients[0].Count; i++) TensorAssert.Close(gradients[0][i], gradients[1][i], rtol: 1e-6, atol: 1e-7);
        Assert.Contains(gradients[1][1], g => g != 0);
    }

    [Fact]
    public void BadOptionsAreRefused()
    {
        using var field = MlpField.Random(5, dim: 3, hidden: 4);
        Assert.Contains("time span", Assert.Throws<ArgumentException>(() => new NeuralOde(new NeuralOdeOptions(T0: 1, T1: 1), field)).Message);
        Assert.Contains("Rtol", Assert.Throws<ArgumentException>(() => new NeuralOde(new NeuralOdeOptions(Rtol: -1), field)).Message);
        Assert.Contains("StepSize", Assert.Throws<ArgumentException>(() => new NeuralOde(new NeuralOdeOptions(Solver: OdeMethod.Euler, StepSize: -0.1), field)).Message);
        Assert.Contains("strictly monotone", Assert.Throws<ArgumentException>(() => new NeuralOde(new NeuralOdeOptions(Times: [0.0, 1.0, 1.0]), field)).Message);
        Assert.Contains("must be a Module", Assert.Throws<ArgumentException>(() => new NeuralOde(new NeuralOdeOptions(), new DecayField(1))).Message);
    }

    [Fact]
    public void BadTimesAtForwardNameTheLayer()
    {
        using var layer = new NeuralOde(new NeuralOdeOptions(), MlpField.Random(6, dim: 3, hidden: 4));
        using var scope = TensorScope.Enter();
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([1, 3], DType.Float64), Tensor.From(new[] { 0.0, 0.0 })));
        Assert.Contains("NeuralOde", error.Message);
        Assert.Contains("strictly monotone", error.Message);
    }

    /// <summary>A module that forwards to a field owned elsewhere (so one field serves the layer and the direct solve).</summary>
    private sealed class ForwardingField(MlpField inner) : Module, IOdeFunction
    {
        public Tensor Evaluate(Tensor t, Tensor y) => inner.Evaluate(t, y);
    }
}
