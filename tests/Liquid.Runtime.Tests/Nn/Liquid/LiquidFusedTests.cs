using Liquid.Runtime.Nn;
using static Liquid.Runtime.Tests.Nn.Liquid.LiquidTestSupport;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// The fused native kernels against the op-by-op composition (the readable specification) on random
/// float64 inputs and parameters: outputs, final states and the gradient of every input (x, elapsed
/// times, initial state) and every parameter agree to 1e-12 (|a − b| ≤ 1e-12 + 1e-12·|b|). The
/// configurations cover the kernels' branches: folded and unfolded conductances, the σ tape kept and
/// recomputed, batch blocks of 4, 2 and 1, widths that are and are not multiples of the vector width,
/// every CfC mode, backbone depth and activation, and wired stacks.
/// </summary>
public class LiquidFusedTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const double Tolerance = 1e-12;

    public static TheoryData<string> LtcConfigurations() => new(s_ltc.Keys);

    private static readonly Dictionary<string, (LtcOptions Options, long Batch, long Steps, bool Elapsed, bool Initial)> s_ltc = new()
    {
        // Fully connected with softplus: every weight positive, so the kernel folds them into the exponent.
        ["dense_folded"] = (new LtcOptions(3, Units: 7), 5, 4, true, true),
        ["dense_16"] = (new LtcOptions(9, Units: 16, OdeUnfolds: 2), 8, 3, true, false),
        // An NCP has absent synapses (zero weights): the unfolded path; motor neurons M < N.
        ["ncp"] = (new LtcOptions(4, Wiring: new Ncp(3, 3, 2, 2, 2, 2, 2, Seed: 5)), 2, 5, false, true),
        // Raw weights of either sign: unfolded, with linear input mapping and no output mapping.
        ["none_constraints"] = (new LtcOptions(3, Units: 5, Constraints: LtcConstraint.None, InputMapping: LtcMapping.Linear,
            OutputMapping: LtcMapping.None, OdeUnfolds: 3), 3, 4, true, true),
        ["clamp_last"] = (new LtcOptions(2, Units: 4, Constraints: LtcConstraint.Clamp, ReturnSequences: false, OutputSize: 2), 1, 6, true, false),
        // Mixed memory runs the one-step kernel between LSTM steps.
        ["mixed"] = (new LtcOptions(3, Units: 5, MixedMemory: true), 3, 4, true, true),
        ["mixed_ncp_last"] = (new LtcOptions(4, Wiring: new AutoNcp(8, 2, Seed: 3), MixedMemory: true, ReturnSequences: false), 2, 3, false, false),
    };

    [Theory]
    [MemberData(nameof(LtcConfigurations))]
    public void LtcFusedEqualsComposition(string name)
    {
        var (options, batch, steps, elapsed, initial) = s_ltc[name];
        using var plain = new Ltc(options with { Fuse = false });
        using var fused = new Ltc(options with { Fuse = true });
        plain.To(DType.Float64);
        fused.To(DType.Float64);
        var random = new Random(name.Length * 31 + 1);
        Randomize(plain, random, range: p => LtcRange(p, options.Constraints));
        CopyState(plain, fused);

        using var scope = TensorScope.Enter();
        var inputs = LtcInputs(random, options.InputSize, plain.Units, batch, steps, elapsed, initial, options.MixedMemory);
        using var expected = ForwardBackward(plain, inputs, i => RunLtc(plain, i));
        using var actual = ForwardBackward(fused, inputs, i => RunLtc(fused, i));
        AssertSame(expected, actual, Tolerance, Tolerance);

        // The backward pass recomputing σ (no tape) gives the same gradients as reading it back.
        var budget = LiquidKernels.LtcSigmaTapeBudget;
        try
        {
            LiquidKernels.LtcSigmaTapeBudget = 0;
            using var recomputed = ForwardBackward(fused, inputs, i => RunLtc(fused, i));
            AssertSame(expected, recomputed, Tolerance, Tolerance);
        }
        finally
        {
            LiquidKernels.LtcSigmaTapeBudget = budget;
        }
    }

    // Values that keep the cell in its working regime (σ not saturated everywhere, cm and gleak
    // positive without a constraint) while every parameter differs from its initial pattern.
    internal static (double, double)? LtcRange(string parameter, LtcConstraint constraints) => parameter.Split('.')[^1] switch
    {
        "sigma" or "sensory_sigma" => (1.5, 6),
        "mu" or "sensory_mu" => (0, 1),
        "cm" => constraints == LtcConstraint.Softplus ? (-1, 1) : (0.3, 0.8),
        "gleak" => constraints == LtcConstraint.Softplus ? (-1, 1) : (0.1, 1),
        "vleak" => (-0.5, 0.5),
        // Unconstrained weights may be negative (the unfolded path), but only slightly: strongly negative
        // conductances can drive the update's denominator to zero, where any two evaluation orders part.
        "w" or "sensory_w" when constraints != LtcConstraint.Softplus => (-0.1, 1),
        "input_w" or "output_w" => (0.5, 1.5),
        _ => null,
    };

    internal static Dictionary<string, Tensor> LtcInputs(Random random, long inputs, long units, long batch, long steps, bool elapsed,
        bool initial, bool mixed)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["x"] = Uniform(random, [batch, steps, inputs], -1.5, 1.5) };
        if (elapsed) values["elapsed"] = Uniform(random, [batch, steps], 0.3, 2.0);
        if (initial)
        {
            values["h0"] = Uniform(random, [batch, units], -0.5, 0.5);
            if (mixed) values["c0"] = Uniform(random, [batch, units], -0.5, 0.5);
        }
        return values;
    }

    internal static IReadOnlyDictionary<string, Tensor> RunLtc(Ltc layer, IReadOnlyDictionary<string, Tensor> inputs)
    {
        LtcState? initial = inputs.TryGetValue("h0", out var h0) ? new LtcState(h0.Alias(), inputs.GetValueOrDefault("c0")?.Alias()) : null;
        using (initial)
        {
            var (output, h, c) = layer.Forward(inputs["x"], inputs.GetValueOrDefault("elapsed"), initial);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["output"] = output, ["h"] = h };
            if (c is not null) result["c"] = c;
            return result;
        }
    }

    public static TheoryData<string> CfcConfigurations() => new(s_cfc.Keys);

    private static readonly Dictionary<string, (CfcOptions Options, long Batch, long Steps, bool Elapsed, bool Initial)> s_cfc = new()
    {
        ["default_lecun"] = (new CfcOptions(3, Units: 6, BackboneUnits: 8), 3, 4, true, true),
        ["no_gate_silu_2"] = (new CfcOptions(3, Units: 5, Mode: CfcMode.NoGate, Activation: CfcActivation.Silu, BackboneUnits: 5, BackboneLayers: 2), 2, 5, false, true),
        ["pure_relu"] = (new CfcOptions(2, Units: 4, Mode: CfcMode.Pure, Activation: CfcActivation.Relu, BackboneUnits: 6), 3, 3, true, true),
        ["default_tanh_0"] = (new CfcOptions(3, Units: 5, Activation: CfcActivation.Tanh, BackboneLayers: 0), 2, 4, true, false),
        ["pure_0"] = (new CfcOptions(3, Units: 9, Mode: CfcMode.Pure, BackboneLayers: 0), 2, 4, false, true),
        ["gelu_proj_last"] = (new CfcOptions(4, Units: 5, Activation: CfcActivation.Gelu, BackboneUnits: 7, ProjSize: 3, ReturnSequences: false), 3, 3, true, true),
        ["wired_default_proj"] = (new CfcOptions(4, Wiring: new Ncp(3, 3, 2, 2, 2, 2, 2, Seed: 9), ProjSize: 2), 3, 4, true, true),
        ["wired_no_gate"] = (new CfcOptions(3, Wiring: new AutoNcp(10, 3, Seed: 4), Mode: CfcMode.NoGate), 2, 3, false, true),
        ["wired_pure"] = (new CfcOptions(3, Wiring: new AutoNcp(9, 2, Seed: 6), Mode: CfcMode.Pure), 2, 3, true, false),
        ["wired_dense"] = (new CfcOptions(3, Wiring: new FullyConnected(5)), 2, 3, true, true),
    };

    [Theory]
    [MemberData(nameof(CfcConfigurations))]
    public void CfcFusedEqualsComposition(string name)
    {
        var (options, batch, steps, elapsed, initial) = s_cfc[name];
        using var plain = new Cfc(options with { Fuse = false });
        using var fused = new Cfc(options with { Fuse = true });
        Assert.True(fused.RunsFused);
        Assert.False(plain.RunsFused);
        plain.To(DType.Float64);
        fused.To(DType.Float64);
        var random = new Random(name.Length * 17 + 3);
        Randomize(plain, random, -0.8, 0.8);
        CopyState(plain, fused);

        using var scope = TensorScope.Enter();
        var inputs = LtcInputs(random, options.InputSize, plain.Units, batch, steps, elapsed, initial, mixed: false);
        using var expected = ForwardBackward(plain, inputs, i => RunCfc(plain, i));
        using var actual = ForwardBackward(fused, inputs, i => RunCfc(fused, i));
        AssertSame(expected, actual, Tolerance, Tolerance);
    }

    /// <summary>
    /// Every build of the vector code this CPU can run (baseline x86-64, AVX2, AVX-512: what other CPUs
    /// get) against the composition, on a sample of the configurations above; the switch is
    /// process-wide and restored afterwards. A build the CPU lacks cannot run here; which ran is logged.
    /// </summary>
    [Theory]
    [InlineData("ltc", "dense_folded")]
    [InlineData("ltc", "ncp")]
    [InlineData("ltc", "mixed")]
    [InlineData("cfc", "default_lecun")]
    [InlineData("cfc", "no_gate_silu_2")]
    [InlineData("cfc", "pure_relu")]
    [InlineData("cfc", "wired_default_proj")]
    public void EveryVectorBuildEqualsComposition(string kind, string name)
    {
        var before = LiquidKernels.VectorBuild;
        try
        {
            for (var build = LiquidVectorBuild.Baseline; build <= LiquidKernels.BestVectorBuild; build++)
            {
                LiquidKernels.VectorBuild = build;
                Assert.Equal(build, LiquidKernels.VectorBuild);
                log.WriteLine($"{kind} {name}: {build}");
                if (kind == "ltc") LtcFusedEqualsComposition(name);
                else CfcFusedEqualsComposition(name);
            }
        }
        finally
        {
            LiquidKernels.VectorBuild = before;
        }
    }

    /// <summary>In eval mode backbone dropout is the identity, so a layer with dropout runs the kernel; while training it does not.</summary>
    [Fact]
    public void CfcWithDropoutFusesOnlyInEvalMode()
    {
        var options = new CfcOptions(3, Units: 4, BackboneUnits: 6, BackboneLayers: 3, BackboneDropout: 0.3);
        using var plain = new Cfc(options with { Fuse = false });
        using var fused = new Cfc(options with { Fuse = true });
        Assert.False(fused.RunsFused);  // training: dropout is active
        plain.To(DType.Float64).Eval();
        fused.To(DType.Float64).Eval();
        Assert.True(fused.RunsFused);
        var random = new Random(11);
        Randomize(plain, random, -0.8, 0.8);
        CopyState(plain, fused);
        using var scope = TensorScope.Enter();
        var inputs = LtcInputs(random, 3, 4, 2, 4, true, true, mixed: false);
        using var expected = ForwardBackward(plain, inputs, i => RunCfc(plain, i));
        using var actual = ForwardBackward(fused, inputs, i => RunCfc(fused, i));
        AssertSame(expected, actual, Tolerance, Tolerance);
    }

    internal static IReadOnlyDictionary<string, Tensor> RunCfc(Cfc layer, IReadOnlyDictionary<string, Tensor> inputs)
    {
        CfcState? initial = inputs.TryGetValue("h0", out var h0) ? new CfcState(h0.Alias(), inputs.GetValueOrDefault("c0")?.Alias()) : null;
        using (initial)
        {
            var (output, h, c) = layer.Forward(inputs["x"], inputs.GetValueOrDefault("elapsed"), initial);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["output"] = output, ["h"] = h };
            if (c is not null) result["c"] = c;
            return result;
        }
    }
}
