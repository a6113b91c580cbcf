using Liquid.Runtime.Nn;
using Liquid.Runtime.Nn.OdeSolvers;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn.Long;

/// <summary>
/// Behaviour of the liquid long-sequence layers beyond the PyTorch reference values: exact inverses,
/// state carried across calls of any lengths (the property that lets a 32k-token input run in chunks),
/// the asynchronous cell's chunk semantics, and errors that name the layer.
/// </summary>
public class LongLayerTests
{
    private static Tensor Uniform(Random random, long[] shape, double low, double high, DType dtype = DType.Float64)
    {
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++) values[i] = low + (high - low) * random.NextDouble();
        return Tensor.From(values, shape).To(dtype);
    }

    /// <summary>Every parameter uniform in ±<paramref name="scale"/>, so that no term (a zero gate, a unit τ) hides.</summary>
    private static void Perturb(Module module, double scale, int seed)
    {
        var random = new Random(seed);
        using var scope = TensorScope.Enter();
        using (Torch.NoGrad())
            foreach (var (_, parameter) in module.NamedParameters())
                parameter.Copy_(Uniform(random, parameter.Shape, -scale, scale, parameter.DType));
    }

    [Theory]
    [InlineData(6, 0)]
    [InlineData(7, 0)]
    [InlineData(7, 1)]
    [InlineData(2, 1)]
    public void CouplingInverseRecoversTheInputInFloat32(long dim, int parity)
    {
        using var coupling = new AffineCoupling(new AffineCouplingOptions(dim, 9, parity));
        Perturb(coupling, 0.8, seed: (int)dim * 10 + parity);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(1), [5, 3, dim], -3, 3, DType.Float32);
        var forward = coupling.Forward(x);
        // Large scales: the transformed half moves, so an inverse that ignored s would fail.
        Assert.True((forward.Output - x).Abs().Max().Item() > 0.1);
        TensorAssert.Close(x, coupling.Inverse(forward.Output), rtol: 0, atol: 1e-6 * 3);
    }

    [Theory]
    [InlineData(6, 4, false)]
    [InlineData(5, 3, false)]
    [InlineData(8, 4, true)]
    public void FlowInverseRecoversTheInputInFloat32AndEveryFeatureIsTransformed(long dim, long flows, bool shared)
    {
        using var flow = new Flow(new FlowOptions(dim, 7, flows, Latent: 2, Shared: shared));
        Perturb(flow, 0.6, seed: (int)dim);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(2), [4, dim], -2, 2, DType.Float32);
        var output = flow.Forward(x);
        Assert.Equal([4, 2], output.Output.Shape);
        TensorAssert.Close(output.Z.Narrow(-1, 0, 2), output.Output, 0, 0);
        TensorAssert.Close(x, flow.Inverse(output.Z), rtol: 0, atol: 1e-6 * 2);
        // Alternating halves: every feature differs from the input (the seed's original left x₁ as it was).
        var moved = (output.Z - x).Abs().Max(0).Values.ToArray<float>();
        Assert.All(moved, m => Assert.True(m > 1e-3f, $"a feature passed the flow unchanged ({m})"));
    }

    /// <summary>A sequence in calls of several lengths, the state carried, equals one call.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void NeuronAndTimeCellContinueAcrossCalls(bool adaptive, bool timeCell)
    {
        var neuron = new LiquidNeuronOptions(3, 5, adaptive, AdaptiveHidden: 4, Dt: 0.5);
        using Module layer = timeCell ? new LiquidTimeCell(new LiquidTimeCellOptions(neuron, OdeMethod.Rk4, StepSize: 0.25)) : new LiquidNeuron(neuron);
        layer.To(DType.Float64);
        layer.Eval();
        Perturb(layer, 0.7, seed: 3);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(4), [2, 9, 3], -1, 1);
        LiquidCellOutput Run(Tensor input, ForwardContext? context) =>
            layer is LiquidTimeCell cell ? cell.Forward(input, context) : ((LiquidNeuron)layer).Forward(input, context);
        var whole = Run(x, null);
        using var state = new ModelState();
        var parts = new List<Tensor>();
        Tensor? last = null;
        long start = 0;
        foreach (var length in new long[] { 4, 1, 3, 1 })
        {
            using var context = new ForwardContext(training: false, state);
            var part = Run(x.Narrow(1, start, length), context);
            parts.Add(part.Output);
            last = part.H;
            start += length;
            state.Position = start;
        }
        TensorAssert.Close(whole.Output, Tensor.Cat(parts.ToArray(), 1), 1e-12, 1e-13);
        TensorAssert.Close(whole.H, last!, 1e-12, 1e-13);
    }

    /// <summary>
    /// The adjoint's gradients converge to backpropagation's through the solver's steps as the grid
    /// refines: the adjoint recomputes the state backwards with rk4, an error of order 4 in the step,
    /// so halving the step divides the difference by about 16 (asserted: by more than 8).
    /// </summary>
    [Fact]
    public void TimeCellAdjointGradientsConvergeToBackpropagation()
    {
        var neuron = new LiquidNeuronOptions(3, 4, Adaptive: true, AdaptiveHidden: 3, Dt: 0.5);
        double[] Gradients(bool adjoint, double step)
        {
            using var cell = new LiquidTimeCell(new LiquidTimeCellOptions(neuron, OdeMethod.Rk4, StepSize: step, Adjoint: adjoint));
            cell.To(DType.Float64);
            cell.Eval();
            Perturb(cell, 0.7, seed: 11);
            using var scope = TensorScope.Enter();
            var x = Uniform(new Random(12), [2, 5, 3], -1, 1).RequiresGrad_();
            var weights = Uniform(new Random(13), [2, 5, 4], -1, 1);
            (cell.Forward(x).Output * weights).Sum().Backward();
            return x.Grad!.ToArray<double>().Concat(cell.Parameters().SelectMany(p => p.Grad!.ToArray<double>())).ToArray();
        }
        double Difference(double step)
        {
            var direct = Gradients(adjoint: false, step);
            var adjoint = Gradients(adjoint: true, step);
            return direct.Zip(adjoint, (a, b) => Math.Abs(a - b)).Max() / direct.Max(Math.Abs);
        }
        var coarse = Difference(0.1);
        var fine = Difference(0.05);
        Assert.True(coarse < 1e-4, $"the adjoint differs from backpropagation by {coarse:G3} (relative) at step 0.1");
        Assert.True(fine < coarse / 8, $"halving the step took the difference from {coarse:G3} only to {fine:G3}");
    }

    private static AsyncLiquidCell Async(long chunk, bool adaptive = false)
    {
        var cell = new AsyncLiquidCell(new AsyncLiquidCellOptions(4, chunk,
            new LiquidTimeCellOptions(new LiquidNeuronOptions(5, 5, adaptive, AdaptiveHidden: 3))));
        cell.To(DType.Float64);
        cell.Eval();
        Perturb(cell, 0.7, seed: (int)chunk);
        return cell;
    }

    /// <summary>
    /// Chunk boundaries are absolute positions: calls that split chunks anywhere, with the state and the
    /// incomplete chunk carried, give the outputs and final state of one call.
    /// </summary>
    [Theory]
    [InlineData(3, false, new long[] { 2, 2, 5, 1, 3 })]
    [InlineData(4, true, new long[] { 1, 1, 1, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(1, false, new long[] { 7, 6 })]
    [InlineData(16, false, new long[] { 5, 8 })]
    public void AsyncCellContinuesAcrossCallsThatSplitChunks(long chunk, bool adaptive, long[] lengths)
    {
        using var cell = Async(chunk, adaptive);
        using var scope = TensorScope.Enter();
        var steps = lengths.Sum();
        var x = Uniform(new Random(5), [2, steps, 4], -1, 1);
        var times = Uniform(new Random(6), [2, steps], 0, 1);
        var whole = cell.Forward(x, times);
        using var state = new ModelState();
        var parts = new List<Tensor>();
        Tensor? last = null;
        long start = 0;
        foreach (var length in lengths.Where(l => l > 0))
        {
            using var context = new ForwardContext(training: false, state);
            var part = cell.Forward(x.Narrow(1, start, length), times.Narrow(1, start, length), context);
            parts.Add(part.Output);
            last = part.H;
            start += length;
            state.Position = start;
        }
        TensorAssert.Close(whole.Output, Tensor.Cat(parts.ToArray(), 1), 1e-12, 1e-13);
        TensorAssert.Close(whole.H, last!, 1e-12, 1e-13);
    }

    /// <summary>
    /// The chunk semantics: a position reads the state of the chunks before its own, so a change inside
    /// its own chunk (before or after it) leaves it alone, and a change in an earlier chunk does not.
    /// </summary>
    [Fact]
    public void AsyncCellPositionsReadOnlyEarlierChunks()
    {
        using var cell = Async(chunk: 4);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(7), [1, 12, 4], -1, 1);
        var baseline = cell.Forward(x).Output;
        Tensor Changed(long position)
        {
            var bump = Tensor.Zeros([1, 12, 4], DType.Float64);
            bump.Narrow(1, position, 1).Copy_(Tensor.Ones([1, 1, 4], DType.Float64));
            return cell.Forward(x + bump).Output;
        }
        // Position 9 is in chunk 2 ([8, 12)).
        foreach (var sameChunk in new long[] { 8, 10, 11 })
            TensorAssert.Close(baseline.Narrow(1, 9, 1), Changed(sameChunk).Narrow(1, 9, 1), 0, 0);
        foreach (var earlier in new long[] { 1, 6 })
            Assert.True((baseline.Narrow(1, 9, 1) - Changed(earlier).Narrow(1, 9, 1)).Abs().Max().Item() > 1e-6,
                $"position 9 ignores a change at {earlier}, in an earlier chunk");
        // And nothing before a changed position moves (causality).
        TensorAssert.Close(baseline.Narrow(1, 0, 6), Changed(6).Narrow(1, 0, 6), 0, 0);
    }

    [Fact]
    public void AsyncCellWithoutTimestampsUsesEachPositionsRegularPlaceInItsChunk()
    {
        using var cell = Async(chunk: 5);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(8), [2, 12, 4], -1, 1);
        var regular = Tensor.From(Enumerable.Range(0, 12).Select(p => p % 5 / 4.0).ToArray(), [1, 12]).Expand(2, 12);
        var implicitTimes = cell.Forward(x);
        var explicitTimes = cell.Forward(x, regular);
        TensorAssert.Close(explicitTimes.Output, implicitTimes.Output, 0, 0);
        // Two complete chunks: their attention weights sum to one each; the partial chunk's are zero.
        var attention = implicitTimes.Attention;
        TensorAssert.Close(Tensor.Ones([2], DType.Float64), attention.Narrow(1, 0, 5).Sum(1), 1e-12, 1e-12);
        TensorAssert.Close(Tensor.Ones([2], DType.Float64), attention.Narrow(1, 5, 5).Sum(1), 1e-12, 1e-12);
        TensorAssert.Close(Tensor.Zeros([2, 2], DType.Float64), attention.Narrow(1, 10, 2), 0, 0);
    }

    /// <summary>
    /// The ODE embedding is position-wise on a fixed grid: positions embedded in separate calls equal
    /// one call exactly. dopri5 chooses its steps for the whole tensor, so there they agree only to
    /// the solver's tolerance (and differ: the chunk semantics Long/README.md documents).
    /// </summary>
    [Theory]
    [InlineData(OdeMethod.Rk4, 0.5, 1e-13)]
    [InlineData(OdeMethod.Dopri5, null, 1e-2)]
    public void OdeEmbeddingOfSeparateCallsEqualsOneCall(OdeMethod solver, double? stepSize, double tolerance)
    {
        using var embedding = new OdeEmbedding(new OdeEmbeddingOptions(4, 6, Dropout: 0, Solver: solver, StepSize: stepSize));
        embedding.To(DType.Float64);
        Perturb(embedding, 0.8, seed: 9);
        using var scope = TensorScope.Enter();
        var x = Uniform(new Random(10), [2, 8, 4], -2, 2);
        var whole = embedding.Forward(x);
        var parts = Tensor.Cat([embedding.Forward(x.Narrow(1, 0, 3)), embedding.Forward(x.Narrow(1, 3, 5))], 1);
        TensorAssert.Close(whole, parts, tolerance, tolerance);
        if (solver == OdeMethod.Dopri5) Assert.True((whole - parts).Abs().Max().Item() > 0, "dopri5 took the same steps for a part as for the whole");
    }

    [Fact]
    public void BadInputsAreErrorsNamingTheLayer()
    {
        using var scope = TensorScope.Enter();
        using var flow = new Flow(new FlowOptions(6, 4));
        Assert.Contains("[…, 6]", Assert.Throws<ShapeException>(() => flow.Forward(Tensor.Zeros([2, 5]))).Message);
        Assert.Contains("latent", Assert.Throws<ArgumentException>(() => new Flow(new FlowOptions(6, 4, Latent: 7))).Message);
        Assert.Contains("even", Assert.Throws<ArgumentException>(() => new Flow(new FlowOptions(5, 4, Shared: true))).Message);
        Assert.Contains("parity", Assert.Throws<ArgumentException>(() => new AffineCoupling(new AffineCouplingOptions(4, 2, Parity: 2))).Message);
        using var cell = Async(chunk: 3);
        var error = Assert.Throws<ShapeException>(() => cell.Forward(Tensor.Zeros([2, 4, 4], DType.Float64), Tensor.Zeros([2, 3], DType.Float64)));
        Assert.Contains("timestamps [2, 4]", error.Message);
        using (var stranger = new ModelState { Position = 2 })
        using (var context = new ForwardContext(training: false, stranger))
            Assert.Contains("inside a chunk of 3", Assert.Throws<InvalidOperationException>(() => cell.Forward(Tensor.Zeros([2, 4, 4], DType.Float64), null, context)).Message);
        using var neuron = new LiquidNeuron(new LiquidNeuronOptions(3, 5));
        Assert.Contains("state h [2, 5]", Assert.Throws<ShapeException>(() => neuron.Forward(Tensor.Zeros([2, 4, 3]), Tensor.Zeros([2, 4]))).Message);
        Assert.Contains("dt", Assert.Throws<ArgumentException>(() => new LiquidNeuron(new LiquidNeuronOptions(3, 5, Dt: 0))).Message);
        Assert.Contains("liquid_time_cell", Assert.Throws<ArgumentException>(() =>
            new LiquidTimeCell(new LiquidTimeCellOptions(new LiquidNeuronOptions(3, 5), StepSize: -1))).Message);
    }
}
