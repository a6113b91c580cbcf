using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Support;
using static Liquid.Runtime.Tests.Nn.Liquid.LiquidTestSupport;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// The fused kernels' hand-written backward passes against central finite differences in float64, on
/// small sizes: every input of the LTC kernels (inputs, initial state, elapsed times and all eleven
/// parameter tensors), with the σ tape kept and recomputed, and every parameter and input of the CfC
/// kernel through the layer (each parameter entry perturbed in place).
/// </summary>
public class LiquidGradCheckTests
{
    private static Tensor[] LtcKernelInputs(Random random, long batch, long steps, long inputs, long units, bool positiveWeights)
    {
        Tensor Leaf(long[] shape, double low, double high) => Uniform(random, shape, low, high).RequiresGrad_();
        return
        [
            Leaf([batch, steps, inputs], -1, 1),       // x
            Leaf([batch, units], -0.5, 0.5),           // h0
            Leaf([batch, steps], 0.5, 1.5),            // elapsed
            Leaf([units, units], positiveWeights ? 0.1 : -0.1, 1),  // W
            Leaf([units, units], 1, 4),                // sigma
            Leaf([units, units], 0, 1),                // mu
            Leaf([units, units], -1, 1),               // erev
            Leaf([inputs, units], 0.1, 1),             // sensory W
            Leaf([inputs, units], 1, 4),
            Leaf([inputs, units], 0, 1),
            Leaf([inputs, units], -1, 1),
            Leaf([units], 0.2, 1),                     // gleak
            Leaf([units], -0.3, 0.3),                  // vleak
            Leaf([units], 0.3, 0.7),                   // cm
        ];
    }

    private static LtcKernelParameters Parameters(Tensor[] t, int unfolds) =>
        new(t[3].Alias(), t[4].Alias(), t[5].Alias(), t[6].Alias(), t[7].Alias(), t[8].Alias(), t[9].Alias(), t[10].Alias(),
            t[11].Alias(), t[12].Alias(), t[13].Alias(), unfolds, 1e-8);

    [Theory]
    [InlineData(true, true)]    // folded weights, σ tape
    [InlineData(false, true)]   // unfolded (a negative weight), σ tape
    [InlineData(true, false)]   // folded, σ recomputed
    [InlineData(false, false)]
    public void LtcSequenceGradientsMatchFiniteDifferences(bool positiveWeights, bool keepSigma)
    {
        var inputs = LtcKernelInputs(new Random(positiveWeights ? 3 : 4), batch: 2, steps: 3, inputs: 2, units: 3, positiveWeights);
        var budget = LiquidKernels.LtcSigmaTapeBudget;
        try
        {
            if (!keepSigma) LiquidKernels.LtcSigmaTapeBudget = 0;
            GradCheck.Check(t =>
            {
                using var p = Parameters(t, unfolds: 2);
                return LiquidKernels.LtcSequence(t[0], t[1], t[2], p);
            }, inputs);
        }
        finally
        {
            LiquidKernels.LtcSigmaTapeBudget = budget;
            foreach (var t in inputs) t.Dispose();
        }
    }

    [Fact]
    public void LtcStepGradientsMatchFiniteDifferences()
    {
        var all = LtcKernelInputs(new Random(5), batch: 3, steps: 1, inputs: 2, units: 4, positiveWeights: true);
        using var x = all[0].Select(1, 0).Detach().RequiresGrad_();
        using var elapsed = all[2].Select(1, 0).Detach().RequiresGrad_();
        Tensor[] inputs = [x, all[1], elapsed, .. all[3..]];
        try
        {
            GradCheck.Check(t =>
            {
                using var p = Parameters(t, unfolds: 3);
                return LiquidKernels.LtcStep(t[0], t[1], t[2], p);
            }, inputs);
        }
        finally
        {
            foreach (var t in all) t.Dispose();
        }
    }

    public static TheoryData<string> CfcCases() => new(["default", "no_gate_2", "pure", "pure_0", "wired"]);

    [Theory]
    [MemberData(nameof(CfcCases))]
    public void CfcGradientsMatchFiniteDifferences(string name)
    {
        var options = name switch
        {
            "default" => new CfcOptions(2, Units: 3, BackboneUnits: 4),
            "no_gate_2" => new CfcOptions(2, Units: 3, Mode: CfcMode.NoGate, BackboneUnits: 3, BackboneLayers: 2, Activation: CfcActivation.Silu),
            "pure" => new CfcOptions(2, Units: 3, Mode: CfcMode.Pure, BackboneUnits: 4, Activation: CfcActivation.Tanh),
            "pure_0" => new CfcOptions(2, Units: 3, Mode: CfcMode.Pure, BackboneLayers: 0),
            _ => new CfcOptions(2, Wiring: new Ncp(2, 2, 1, 1, 1, 1, 1, Seed: 2)),
        };
        using var layer = new Cfc(options);
        Assert.True(layer.RunsFused);
        layer.To(DType.Float64);
        var random = new Random(name.Length);
        Randomize(layer, random, -0.8, 0.8);
        using var x = Uniform(random, [2, 3, 2], -1, 1).RequiresGrad_();
        using var elapsed = Uniform(random, [2, 3], 0.5, 1.5).RequiresGrad_();
        using var h0 = Uniform(random, [2, layer.Units], -0.5, 0.5).RequiresGrad_();
        // Inputs through GradCheck; parameters entry by entry below.
        GradCheck.Check(t =>
        {
            using var initial = new CfcState(t[2].Alias(), null);
            var (output, h, _) = layer.Forward(t[0], t[1], initial);
            using var scope = TensorScope.Enter();
            return scope.Keep(Tensor.Cat([output.Flatten(), h.Flatten()], 0));
        }, [x, elapsed, h0]);
        CheckParameters(layer, () =>
        {
            using var initial = new CfcState(h0.Alias(), null);
            var (output, h, _) = layer.Forward(x, elapsed, initial);
            return Tensor.Cat([output.Flatten(), h.Flatten()], 0);
        });
    }

    [Fact]
    public void LtcLayerParameterGradientsMatchFiniteDifferences()
    {
        using var layer = new Ltc(new LtcOptions(2, Wiring: new Ncp(2, 2, 1, 1, 1, 1, 1, Seed: 8), OdeUnfolds: 2));
        layer.To(DType.Float64);
        var random = new Random(21);
        Randomize(layer, random, range: p => LiquidFusedTests.LtcRange(p, LtcConstraint.Softplus));
        using var x = Uniform(random, [2, 3, 2], -1, 1);
        using var elapsed = Uniform(random, [2, 3], 0.5, 1.5);
        CheckParameters(layer, () =>
        {
            var (output, h, _) = layer.Forward(x, elapsed);
            return Tensor.Cat([output.Flatten(), h.Flatten()], 0);
        });
    }

    // Every entry of every parameter: autograd's dL/dθ (L = Σ y·w) against a central difference with
    // the entry moved by ±ε in place.
    private static void CheckParameters(Module module, Func<Tensor> output, double eps = 1e-6)
    {
        using var scope = TensorScope.Enter();
        module.ZeroGrad();
        var y = output();
        var weights = Uniform(new Random(99), y.Shape, -1, 1);
        y.Mul(weights).Sum().Backward();
        double Loss()
        {
            using var inner = TensorScope.Enter();
            using var noGrad = Torch.NoGrad();
            return output().Mul(weights).Sum().Item();
        }
        foreach (var (name, parameter) in module.NamedParameters())
        {
            var analytic = parameter.Grad!.ToArray<double>();
            var values = parameter.ToArray<double>();
            var numeric = new double[values.Length];
            for (var k = 0; k < values.Length; k++)
            {
                numeric[k] = (Perturbed(parameter, values, k, eps, Loss) - Perturbed(parameter, values, k, -eps, Loss)) / (2 * eps);
            }
            try
            {
                TensorAssert.Close(numeric, analytic, GradCheck.DefaultRtol, GradCheck.DefaultAtol);
            }
            catch (Xunit.Sdk.XunitException e)
            {
                throw new Xunit.Sdk.XunitException($"{name}: {e.Message}");
            }
        }
    }

    private static double Perturbed(Tensor parameter, double[] values, int index, double delta, Func<double> loss)
    {
        var moved = (double[])values.Clone();
        moved[index] += delta;
        using (Torch.NoGrad())
        {
            using var data = Tensor.From(moved, parameter.Shape);
            parameter.Copy_(data);
        }
        var result = loss();
        using (Torch.NoGrad())
        {
            using var data = Tensor.From(values, parameter.Shape);
            parameter.Copy_(data);
        }
        return result;
    }
}
