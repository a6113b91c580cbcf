using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Nn.Foundation;
using Liquid.Runtime.Tests.Serialization;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn.Long;

/// <summary>
/// Every liquid long-sequence layer kind against independent PyTorch implementations written from
/// runtime/Liquid.Runtime/Nn/Layers/Long/README.md (tests/reference/make_long.py, which integrates with
/// tests/reference/odeint_ref.py): outputs, log-determinants, states, the flow's loss, and the gradients
/// of every floating input and parameter through L = Σ_outputs sum(output · projection); plus the
/// couplings' inverses and the log-determinant against log|det| of PyTorch's autograd Jacobian.
/// </summary>
/// <remarks>
/// Tolerances as <see cref="FoundationReferenceTests"/>: float64 rtol 1e-10, atol 1e-12; float32 rtol
/// 1e-5 and atol 1e-6·max|expected| over the tensor.
/// </remarks>
public class LongReferenceTests
{
    private const string Format = "liquid-long-reference-v1";
    private const double Float64Rtol = 1e-10, Float64Atol = 1e-12;
    private const double Float32Rtol = 1e-5, Float32Atol = 1e-6;

    private static readonly string s_file = RepoPaths.Combine("tests", "reference", "data", "long.safetensors");

    private static readonly string[] s_cases =
    [
        "affine_coupling", "affine_coupling_parity1", "affine_coupling_f32",
        "flow", "flow_shared", "flow_full", "flow_sequence", "flow_f32",
        "ode_embedding_rk4", "ode_embedding_dopri5", "ode_embedding_euler", "ode_embedding_f32",
        "liquid_neuron", "liquid_neuron_h0", "adaptive_liquid_neuron", "liquid_neuron_f32",
        "liquid_time_cell", "liquid_time_cell_adaptive", "liquid_time_cell_dopri5", "liquid_time_cell_f32",
        "async_liquid_cell", "async_liquid_cell_default_times", "async_liquid_cell_adaptive_h0", "async_liquid_cell_chunk1", "async_liquid_cell_f32",
    ];

    public static TheoryData<string> Cases => new(s_cases);

    [Fact]
    public void FileHoldsExactlyTheTestedCases() =>
        Assert.Equal(s_cases.Order(StringComparer.Ordinal), FoundationReference.CaseNames(s_file));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardStatesLossesAndGradientsMatchPyTorch(string name)
    {
        using var reference = FoundationReference.Load(name, s_file, Format);
        var (rtol, atol) = Tolerances(reference.DType);
        var (module, run) = Build(reference);
        using var owner = module;
        Load(module, reference);
        var parameters = module.NamedParameters().ToList();
        Assert.Equal(reference.Parameters.Keys.Order(StringComparer.Ordinal), parameters.Select(p => p.Name).Order(StringComparer.Ordinal));

        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in reference.Inputs)
            inputs[key] = value.DType.IsFloatingPoint() ? value.Detach().RequiresGrad_() : value;

        var outputs = run(inputs, context);
        Assert.Equal(reference.Outputs.Keys.Order(StringComparer.Ordinal), outputs.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, expected) in reference.Outputs)
            Close(expected, outputs[key], $"output '{key}'", rtol, atol);
        if (reference.Extras.TryGetValue("z", out var z)) Close(z, ((Flow)module).Forward(inputs[""]).Z, "z", rtol, atol);

        Tensor? loss = null;
        foreach (var key in outputs.Keys.Order(StringComparer.Ordinal))
        {
            var term = outputs[key].Mul(reference.Projections[key]).Sum();
            loss = loss is null ? term : loss.Add(term);
        }
        loss!.Backward();
        foreach (var (key, expected) in reference.InputGrads)
            Close(expected, inputs[key].Grad ?? throw new Xunit.Sdk.XunitException($"input '{key}' got no gradient"), $"grad of input '{key}'", rtol, atol);
        foreach (var (parameterName, parameter) in parameters)
            Close(reference.ParameterGrads[parameterName], parameter.Grad ?? throw new Xunit.Sdk.XunitException($"parameter '{parameterName}' got no gradient"),
                $"grad of parameter '{parameterName}'", rtol, atol);
    }

    /// <summary>Our inverse of PyTorch's y (a flow's full z) is PyTorch's x (and a coupling's inverse), and Σ s is log|det| of PyTorch's autograd Jacobian.</summary>
    [Theory]
    [InlineData("affine_coupling")]
    [InlineData("affine_coupling_parity1")]
    [InlineData("affine_coupling_f32")]
    [InlineData("flow")]
    [InlineData("flow_shared")]
    [InlineData("flow_full")]
    public void InverseAndLogDetMatchTheJacobian(string name)
    {
        using var reference = FoundationReference.Load(name, s_file, Format);
        var (rtol, atol) = Tolerances(reference.DType);
        var (module, run) = Build(reference);
        using var owner = module;
        Load(module, reference);
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var x = reference.Inputs[""];
        var inverse = module is Flow flow ? flow.Inverse(reference.Extras["z"]) : ((AffineCoupling)module).Inverse(reference.Outputs[""]);
        if (reference.Extras.TryGetValue("inverse", out var theirs)) Close(theirs, inverse, "inverse", rtol, atol);
        Close(x, inverse, "inverse against x", rtol, reference.DType == DType.Float64 ? 1e-12 : 1e-6);
        if (reference.Extras.TryGetValue("jacobian_logdet", out var jacobian))
        {
            using var context = new ForwardContext(training: false);
            Close(jacobian, run(reference.Inputs, context)["log_det"], "log_det against the Jacobian", rtol, atol);
        }
    }

    private static (double Rtol, double Atol) Tolerances(DType dtype) =>
        dtype == DType.Float64 ? (Float64Rtol, Float64Atol) : (Float32Rtol, Float32Atol);

    private static double ScaledAtol(Tensor expected, double atol)
    {
        if (expected.DType != DType.Float32 || expected.NumElements == 0) return atol;
        using var largest = expected.Abs().Max();
        return atol * Math.Max(1.0, largest.Item());
    }

    private static void Load(Module module, FoundationCase reference)
    {
        module.To(reference.DType);
        var report = module.LoadStateDict(reference.Parameters, strict: true);
        Assert.True(report.IsClean, report.ToString());
        module.Eval();
    }

    private static void Close(Tensor expected, Tensor actual, string what, double rtol, double atol)
    {
        try
        {
            Assert.Equal(expected.DType, actual.DType);
            TensorAssert.Close(expected, actual, rtol, ScaledAtol(expected, atol));
        }
        catch (Exception error) when (error is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{what}: {error.Message}");
        }
    }

    private delegate Dictionary<string, Tensor> Run(Dictionary<string, Tensor> inputs, ForwardContext context);

    private static OdeMethod Solver(FoundationCase c) => c.String("solver") switch
    {
        "dopri5" => OdeMethod.Dopri5,
        "rk4" => OdeMethod.Rk4,
        "midpoint" => OdeMethod.Midpoint,
        "euler" => OdeMethod.Euler,
        var other => throw new InvalidDataException($"case {c.Name}: unknown solver {other}"),
    };

    private static LiquidNeuronOptions Neuron(FoundationCase c, long inputs) =>
        new(inputs, c.Long("units"), c.Bool("adaptive"), c.NullableLong("adaptive_hidden"), c.Double("dropout"), c.Double("dt"));

    private static LiquidTimeCellOptions TimeCell(FoundationCase c, long inputs) =>
        new(Neuron(c, inputs), Solver(c), c.NullableDouble("step_size"), c.Double("rtol"), c.Double("atol"));

    private static Dictionary<string, Tensor> Cell(LiquidCellOutput output) => new(StringComparer.Ordinal) { [""] = output.Output, ["h"] = output.H };

    /// <summary>Our layer for a case, and how to call it on the named inputs.</summary>
    private static (Module Module, Run Run) Build(FoundationCase c)
    {
        switch (c.Kind)
        {
            case "affine_coupling":
            {
                var layer = new AffineCoupling(new AffineCouplingOptions(c.Long("dim"), c.Long("hidden"), (int)c.Long("parity")));
                return (layer, (i, _) =>
                {
                    var (y, logDet) = layer.Forward(i[""]);
                    return new(StringComparer.Ordinal) { [""] = y, ["log_det"] = logDet };
                });
            }
            case "flow":
            {
                var layer = new Flow(new FlowOptions(c.Long("dim"), c.Long("hidden"), c.Long("num_flows"), c.NullableLong("latent"), c.Bool("shared")));
                return (layer, (i, _) =>
                {
                    var (output, logDet, nll, _) = layer.Forward(i[""]);
                    return new(StringComparer.Ordinal) { [""] = output, ["log_det"] = logDet, ["nll"] = nll };
                });
            }
            case "ode_embedding":
            {
                Assert.Equal(0.1, c.Double("decay"));
                var layer = new OdeEmbedding(new OdeEmbeddingOptions(c.Long("input"), c.Long("hidden"), c.Double("dropout"), c.Double("decay"),
                    c.Double("adaptive"), Solver(c), c.Double("rtol"), c.Double("atol"), c.NullableDouble("step_size")));
                return (layer, (i, context) => new(StringComparer.Ordinal) { [""] = layer.Forward(i[""], context) });
            }
            case "liquid_neuron" or "adaptive_liquid_neuron":
            {
                Assert.Equal(c.Kind == "adaptive_liquid_neuron", c.Bool("adaptive"));
                var layer = new LiquidNeuron(Neuron(c, c.Long("input")));
                return (layer, (i, context) => Cell(layer.Forward(i[""], i.GetValueOrDefault("h0"), context)));
            }
            case "liquid_time_cell":
            {
                Assert.False(c.Bool("adjoint"));
                var layer = new LiquidTimeCell(TimeCell(c, c.Long("input")));
                return (layer, (i, context) => Cell(layer.Forward(i[""], i.GetValueOrDefault("h0"), context)));
            }
            case "async_liquid_cell":
            {
                var layer = new AsyncLiquidCell(new AsyncLiquidCellOptions(c.Long("input"), c.Long("chunk"), TimeCell(c, c.Long("units"))));
                return (layer, (i, context) =>
                {
                    var (output, h, attention) = layer.Forward(i[""], i.GetValueOrDefault("timestamps"), i.GetValueOrDefault("h0"), context);
                    return new(StringComparer.Ordinal) { [""] = output, ["h"] = h, ["attention"] = attention };
                });
            }
            default:
                throw new InvalidDataException($"case {c.Name}: no layer for kind '{c.Kind}'");
        }
    }
}
