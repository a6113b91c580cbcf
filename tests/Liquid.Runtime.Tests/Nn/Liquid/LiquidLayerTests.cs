using Liquid.Runtime.Nn;
using static Liquid.Runtime.Tests.Nn.Liquid.LiquidTestSupport;

namespace Liquid.Runtime.Tests.Nn.Liquid;

/// <summary>
/// Behaviour of <see cref="Ltc"/> and <see cref="Cfc"/> beyond the reference values: per-sample elapsed
/// times, state carried across calls, the clamp constraint, the wiring buffers in checkpoints, the
/// hidden-state orders of wired LTC and CfC (pitfall 5), validation and error messages.
/// </summary>
public class LiquidLayerTests
{
    public static TheoryData<bool, bool> Kinds() => new() { { true, true }, { true, false }, { false, true }, { false, false } };

    private static Module Make(bool ltc, bool fuse, bool mixed = false) => ltc
        ? new Ltc(new LtcOptions(3, Units: 5, MixedMemory: mixed, Fuse: fuse))
        : new Cfc(new CfcOptions(3, Units: 5, BackboneUnits: 6, MixedMemory: mixed, Fuse: fuse));

    private static (Tensor Output, Tensor H, Tensor? C) Forward(Module layer, Tensor x, Tensor? elapsed, Tensor? h0 = null, Tensor? c0 = null,
        ForwardContext? context = null) => layer switch
    {
        Ltc l => Unpack(l.Forward(x, elapsed, h0 is null ? null : new LtcState(h0.Alias(), c0?.Alias()), context)),
        Cfc c => Unpack(c.Forward(x, elapsed, h0 is null ? null : new CfcState(h0.Alias(), c0?.Alias()), context)),
        _ => throw new ArgumentException("not a liquid layer"),
    };

    private static (Tensor, Tensor, Tensor?) Unpack(LtcOutput o) => (o.Output, o.H, o.C);
    private static (Tensor, Tensor, Tensor?) Unpack(CfcOutput o) => (o.Output, o.H, o.C);

    /// <summary>
    /// Elapsed time is per sample (the intended meaning of ncps's timespans, which fails for batch &gt; 1):
    /// each row of a batch with its own Δ equals that sample run alone, and Δ matters.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void ElapsedTimesArePerSample(bool ltc, bool fuse)
    {
        using var layer = Make(ltc, fuse);
        layer.To(DType.Float64);
        using var scope = TensorScope.Enter();
        var random = new Random(1);
        var x = Uniform(random, [3, 4, 3], -1, 1);
        var elapsed = Uniform(random, [3, 4], 0.2, 3.0);
        var (batched, _, _) = Forward(layer, x, elapsed);
        for (var b = 0; b < 3; b++)
        {
            var (alone, _, _) = Forward(layer, x.Narrow(0, b, 1), elapsed.Narrow(0, b, 1));
            Support.TensorAssert.Close(alone, batched.Narrow(0, b, 1), 1e-12, 1e-12);
        }
        var (unit, _, _) = Forward(layer, x, null);
        var (ones, _, _) = Forward(layer, x, elapsed.OnesLike());
        Support.TensorAssert.Close(unit, ones, 1e-12, 1e-12);
        Assert.False(unit.AllClose(batched, 1e-3, 1e-3), "the elapsed times had no effect");
    }

    /// <summary>With a <see cref="ModelState"/>, two calls on halves of a sequence equal one call on all of it.</summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void StateCarriedAcrossCallsContinuesTheSequence(bool ltc, bool mixed)
    {
        using var layer = Make(ltc, fuse: true, mixed);
        layer.To(DType.Float64);
        using var scope = TensorScope.Enter();
        var random = new Random(2);
        var x = Uniform(random, [2, 6, 3], -1, 1);
        var elapsed = Uniform(random, [2, 6], 0.5, 1.5);
        var (whole, hWhole, cWhole) = Forward(layer, x, elapsed);
        using var state = new ModelState();
        using var first = new ForwardContext(training: false, state);
        var (a, _, _) = Forward(layer, x.Narrow(1, 0, 4), elapsed.Narrow(1, 0, 4), context: first);
        using var second = new ForwardContext(training: false, state);
        var (b, hParts, cParts) = Forward(layer, x.Narrow(1, 4, 2), elapsed.Narrow(1, 4, 2), context: second);
        Support.TensorAssert.Close(whole, Tensor.Cat([a, b], 1), 1e-12, 1e-12);
        Support.TensorAssert.Close(hWhole, hParts, 1e-12, 1e-12);
        if (mixed) Support.TensorAssert.Close(cWhole!, cParts!, 1e-12, 1e-12);
        else Assert.Null(cParts);
    }

    [Fact]
    public void ClampConstraintClampsTheFourPositiveParametersOnly()
    {
        foreach (var constraint in new[] { LtcConstraint.Clamp, LtcConstraint.Softplus, LtcConstraint.None })
        {
            using var layer = new Ltc(new LtcOptions(2, Units: 3, Constraints: constraint));
            using var scope = TensorScope.Enter();
            var cell = layer.Cell;
            var values = new Dictionary<string, double[]>();
            foreach (var (name, parameter) in cell.NamedParameters())
            {
                using (Torch.NoGrad())
                {
                    var random = Uniform(new Random(name.Length), parameter.Shape, -1, 1, DType.Float32);
                    parameter.Copy_(random);
                }
                values[name] = parameter.ToArray<float>().Select(v => (double)v).ToArray();
            }
            layer.ApplyWeightConstraints();
            foreach (var (name, parameter) in cell.NamedParameters())
            {
                var clamped = constraint == LtcConstraint.Clamp && name is "w" or "sensory_w" or "cm" or "gleak";
                var expected = values[name].Select(v => clamped ? Math.Max(v, 0) : v).ToArray();
                Support.TensorAssert.Close(expected, parameter, rtol: 0, atol: 0);
            }
        }
    }

    /// <summary>The wiring lives in the checkpoint: a layer built with another seed, loaded with it, computes the same.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WiringBuffersTravelWithTheStateDict(bool ltc)
    {
        Module Build(ulong seed) => ltc
            ? new Ltc(new LtcOptions(3, Wiring: new AutoNcp(10, 2, Seed: seed)))
            : new Cfc(new CfcOptions(3, Wiring: new AutoNcp(10, 2, Seed: seed)));
        using var trained = Build(1);
        using var other = Build(2);
        using var scope = TensorScope.Enter();
        var keys = trained.StateDict().Keys.ToList();
        Assert.Contains("wiring.adjacency", keys);
        Assert.Contains("wiring.sensory_adjacency", keys);
        Assert.Contains(ltc ? "rnn_cell.sparsity_mask" : "rnn_cell.layer_0.sparsity_mask", keys);
        var adjacency = trained.NamedBuffers().Single(b => b.Name == "wiring.adjacency").Buffer;
        var otherAdjacency = other.NamedBuffers().Single(b => b.Name == "wiring.adjacency").Buffer;
        Assert.False(adjacency.Equal(otherAdjacency), "the seeds gave the same wiring");
        CopyState(trained, other);
        Assert.True(adjacency.Equal(otherAdjacency));
        var x = Uniform(new Random(3), [2, 4, 3], -1, 1, DType.Float32);
        var (expected, _, _) = Forward(trained, x, null);
        var (actual, _, _) = Forward(other, x, null);
        Assert.True(expected.Equal(actual));
    }

    /// <summary>
    /// Pitfall 5: a wired LTC's state is in neuron-id order (its output maps the first M entries, the
    /// motor neurons), a wired CfC's is [inter | command | motor] (its output is the last M entries).
    /// </summary>
    [Fact]
    public void WiredStateOrdersDifferBetweenLtcAndCfc()
    {
        var wiring = new Ncp(3, 2, 2, 2, 1, 2, 1, Seed: 4);
        using var ltc = new Ltc(new LtcOptions(3, Wiring: wiring, OutputMapping: LtcMapping.None));
        using var cfc = new Cfc(new CfcOptions(3, Wiring: wiring));
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(5), [2, 3, 3], -1, 1, DType.Float32);
        var l = ltc.Forward(x);
        Support.TensorAssert.Close(l.H.Narrow(1, 0, 2), l.Output.Select(1, 2), 0, 0);
        var c = cfc.Forward(x);
        Support.TensorAssert.Close(c.H.Narrow(1, 5, 2), c.Output.Select(1, 2), 0, 0);
        Assert.Equal([3L, 2, 2], cfc.Cells.Select(cell => cell.HiddenSize));
    }

    [Fact]
    public void OptionsAreValidatedWithClearMessages()
    {
        void Throws(Action build, string fragment) => Assert.Contains(fragment, Assert.ThrowsAny<ArgumentException>(build).Message);
        Throws(() => new Ltc(new LtcOptions(3)), "units");
        Throws(() => new Ltc(new LtcOptions(3, Units: 4, Wiring: new FullyConnected(4))), "not both");
        Throws(() => new Ltc(new LtcOptions(0, Units: 4)), "input size");
        Throws(() => new Ltc(new LtcOptions(3, Units: 4, OdeUnfolds: 0)), "ode_unfolds");
        Throws(() => new Ltc(new LtcOptions(3, Units: 4, Epsilon: double.NaN)), "epsilon");
        Throws(() => new Ltc(new LtcOptions(3, Units: 4, OutputSize: 5)), "output size");
        Throws(() => new Ltc(new LtcOptions(3, Wiring: new AutoNcp(10, 2), OutputSize: 3)), "motor neurons");
        Throws(() => new Ltc(new LtcOptions(3, Wiring: new FixedWiring(new int[2, 2], new int[4, 2], 1))), "sensory inputs");
        Throws(() => new Cfc(new CfcOptions(3)), "units");
        Throws(() => new Cfc(new CfcOptions(3, Wiring: new AutoNcp(10, 2), BackboneUnits: 64)), "no backbone");
        Throws(() => new Cfc(new CfcOptions(3, Wiring: new FullyConnected(4, OutputDim: 2))), "last layer");
        Throws(() => new Cfc(new CfcOptions(3, Units: 4, ProjSize: 0)), "proj_size");
        Throws(() => new Cfc(new CfcOptions(3, Units: 4, BackboneDropout: 1.0)), "dropout");
        Throws(() => new Cfc(new CfcOptions(3, Units: 4, BackboneLayers: -1)), "backbone layers");
        Throws(() => new Cfc(new CfcOptions(3, Units: 4, Mode: (CfcMode)7)), "mode");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void BadInputsAreShapeErrorsNamingTheLayer(bool ltc, bool fuse)
    {
        using var layer = Make(ltc, fuse);
        using var scope = TensorScope.Enter();
        var x = Tensor.Zeros([2, 4, 3]);
        var kind = ltc ? "Ltc" : "Cfc";
        Assert.Contains(kind, Assert.Throws<ShapeException>(() => Forward(layer, Tensor.Zeros([2, 4, 2]), null)).Message);
        Assert.Contains(kind, Assert.Throws<ShapeException>(() => Forward(layer, Tensor.Zeros([4, 3]), null)).Message);
        Assert.Contains("elapsed", Assert.Throws<ShapeException>(() => Forward(layer, x, Tensor.Ones([2, 3]))).Message);
        Assert.Contains("float64", Assert.ThrowsAny<ArgumentException>(() => Forward(layer, x, Tensor.Ones([2, 4], DType.Float64))).Message);
        Assert.Contains("state h", Assert.Throws<ShapeException>(() => Forward(layer, x, null, Tensor.Zeros([2, 4]))).Message);
        Assert.Contains("mixed memory", Assert.ThrowsAny<ArgumentException>(() => Forward(layer, x, null, Tensor.Zeros([2, 5]), Tensor.Zeros([2, 5]))).Message);
    }

    [Fact]
    public void KernelErrorsAreManagedExceptionsNamingTheOp()
    {
        using var layer = new Ltc(new LtcOptions(3, Units: 4));
        using var scope = TensorScope.Enter();
        using var parameters = layer.Cell.KernelParameters();
        var error = Assert.Throws<TorchException>(() => LiquidKernels.LtcSequence(Tensor.Zeros([2, 5, 3]), Tensor.Zeros([2, 3]), null, parameters));
        Assert.Contains("ltc", error.Message);
        error = Assert.Throws<TorchException>(() => LiquidKernels.LtcSequence(Tensor.Zeros([2, 5, 3], DType.Float64), Tensor.Zeros([2, 4], DType.Float64), null, parameters));
        Assert.Contains("like the input", error.Message);
        error = Assert.Throws<TorchException>(() => LiquidKernels.LtcStep(Tensor.Zeros([2, 3]), Tensor.Zeros([2, 4]), Tensor.Ones([3]), parameters));
        Assert.Contains("elapsed", error.Message);
        using var cfc = new Cfc(new CfcOptions(3, Units: 4, BackboneUnits: 5));
        error = Assert.Throws<TorchException>(() => LiquidKernels.CfcSequence(Tensor.Zeros([2, 5, 2]), Tensor.Zeros([2, 4]), null, cfc.Cells));
        Assert.Contains("cfc", error.Message);
    }

    [Fact]
    public void FlopsPerPositionCountTheCellsOwnWork()
    {
        using var ltc = new Ltc(new LtcOptions(32, Units: 64));
        Assert.Equal(10 * 32 * 64 + 6 * (10 * 64 * 64 + 8 * 64) + 2 * 32 + 2 * 64, ltc.Cell.FlopsPerPosition(128));
        using var cfc = new Cfc(new CfcOptions(32, Units: 64));
        Assert.True(cfc.Cells[0].FlopsPerPosition(128) > 0);
    }
}
