using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn.Foundation;

/// <summary>
/// Properties of the Liquid Foundation layers that one reference pass cannot show: fast paths equal to
/// their plain compositions (every gradient included), incremental decoding, routing that does no
/// unrouted work, closed-form cases, option checks and the training flag. All in float64.
/// </summary>
public class FoundationLayerTests
{
    private const double Rtol = 1e-12, Atol = 1e-12;

    private static Tensor Input(long[] shape, ulong seed = 11)
    {
        Torch.ManualSeed(seed);
        return Tensor.Randn(shape, DType.Float64);
    }

    /// <summary>Output and the gradients of the input and of every parameter through sum(output · W).</summary>
    private static (Tensor Output, Tensor InputGrad, Dictionary<string, Tensor> ParameterGrads) Differentiate(Module module, Tensor input, Func<Tensor, Tensor> run, ulong seed = 3)
    {
        module.ZeroGrad();
        var x = input.Detach().RequiresGrad_();
        var output = run(x);
        Torch.ManualSeed(seed);
        output.Mul(Tensor.Randn(output.Shape, DType.Float64)).Sum().Backward();
        var grads = module.NamedParameters().Where(p => p.Parameter.Grad is not null).ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        return (output, x.Grad!, grads);
    }

    private static void Same((Tensor Output, Tensor InputGrad, Dictionary<string, Tensor> ParameterGrads) expected,
        (Tensor Output, Tensor InputGrad, Dictionary<string, Tensor> ParameterGrads) actual)
    {
        TensorAssert.Close(expected.Output, actual.Output, Rtol, Atol);
        TensorAssert.Close(expected.InputGrad, actual.InputGrad, Rtol, Atol);
        // A parameter one side never used has no gradient there; the other side's must then be zero.
        foreach (var name in expected.ParameterGrads.Keys.Union(actual.ParameterGrads.Keys).Order(StringComparer.Ordinal))
        {
            var (e, a) = (expected.ParameterGrads.GetValueOrDefault(name), actual.ParameterGrads.GetValueOrDefault(name));
            e ??= a!.ZerosLike();
            a ??= e.ZerosLike();
            try { TensorAssert.Close(e, a, Rtol, Atol); }
            catch (Xunit.Sdk.XunitException error) { throw new Xunit.Sdk.XunitException($"grad of {name}: {error.Message}"); }
        }
    }

    private static DiffAttention Attention(DiffAttentionOptions options, ulong seed = 7)
    {
        Torch.ManualSeed(seed);
        var layer = new DiffAttention(options);
        layer.To(DType.Float64);
        // Sharper attention and a λ away from its clamp, so both maps and the window matter.
        using (Torch.NoGrad())
        {
            layer.NamedParameters().Single(p => p.Name == "qkv.weight").Parameter.Mul_(3.0);
            foreach (var (_, parameter) in layer.NamedParameters().Where(p => p.Name.StartsWith("lambda", StringComparison.Ordinal)))
                parameter.Mul_(3.0);
        }
        return layer;
    }

    [Theory]
    [InlineData(4L, 2L, 5L, 40L)]
    [InlineData(4L, 1L, 13L, 70L)]
    [InlineData(2L, 2L, 100L, 30L)]
    [InlineData(4L, 4L, 1L, 9L)]
    public void DiffAttentionBandPathEqualsDensePath(long heads, long groups, long window, long steps)
    {
        var options = new DiffAttentionOptions(Dim: 32, Heads: heads, KvGroups: groups, Window: window);
        using var fused = Attention(options);
        using var dense = Attention(options with { Fused = false });
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var x = Input([2, steps, 32]);
        Same(Differentiate(dense, x, t => dense.Forward(t, context)), Differentiate(fused, x, t => fused.Forward(t, context)));
    }

    public static TheoryData<long?, int> DecodingCases => new() { { null, 1 }, { 4, 1 }, { 4, 3 }, { 3, 5 }, { 30, 2 } };

    [Theory]
    [MemberData(nameof(DecodingCases))]
    public void DiffAttentionCachedDecodingEqualsFullPass(long? window, int chunk)
    {
        using var layer = Attention(new DiffAttentionOptions(Dim: 16, Heads: 4, KvGroups: 2, Window: window, RopeTheta: 100));
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        const long steps = 11;
        var x = Input([2, steps, 16]);
        using var independent = new ForwardContext(training: false);
        var full = layer.Forward(x, independent);

        using var state = new ModelState();
        var pieces = new List<Tensor>();
        for (long start = 0; start < steps; start += chunk)
        {
            var length = Math.Min(chunk, steps - start);
            using var context = new ForwardContext(training: false, state);
            pieces.Add(layer.Forward(x.Narrow(1, start, length), context));
            state.Position += length;
        }
        TensorAssert.Close(full, Tensor.Cat(pieces.ToArray(), 1), 1e-10, 1e-12);
        Assert.Equal(steps, state.Get<KvCache>(layer)!.Length);
    }

    /// <summary>
    /// Training chunk by chunk with the keys cached: the second chunk's backward neither reaches into the
    /// first one's (freed) graph nor loses its own keys' gradient; it equals a full pass whose first
    /// chunk is a constant (truncated backpropagation).
    /// </summary>
    [Fact]
    public void DiffAttentionChunkWithCacheKeepsItsGradients()
    {
        using var layer = Attention(new DiffAttentionOptions(Dim: 16, Heads: 4, KvGroups: 2, Window: 4, RopeTheta: 100));
        using var scope = TensorScope.Enter();
        var x = Input([2, 9, 16]);
        Torch.ManualSeed(4);
        var projection = Tensor.Randn([2, 4, 16], DType.Float64);

        var head = x.Narrow(1, 0, 5);
        var tail = x.Narrow(1, 5, 4).Detach().RequiresGrad_();
        using var independent = new ForwardContext(training: false);
        layer.Forward(Tensor.Cat([head, tail], 1), independent).Narrow(1, 5, 4).Mul(projection).Sum().Backward();
        var expected = tail.Grad!;

        var chunk = x.Narrow(1, 5, 4).Detach().RequiresGrad_();
        using var state = new ModelState();
        using (var first = new ForwardContext(training: false, state))
        {
            // Trained too: its backward frees its graph, which the second chunk must not reach into.
            var firstInput = head.Detach().RequiresGrad_();
            layer.Forward(firstInput, first).Sum().Backward();
            layer.ZeroGrad();
        }
        state.Position = 5;
        using var second = new ForwardContext(training: false, state);
        layer.Forward(chunk, second).Mul(projection).Sum().Backward();
        TensorAssert.Close(expected, chunk.Grad!, 1e-10, 1e-12);
    }

    /// <summary>λ(0) = exp(0) − exp(0) + λ_init, and the clamp holds λ at its bounds.</summary>
    [Fact]
    public void LambdaFollowsItsReparametrisation()
    {
        using var layer = new DiffAttention(new DiffAttentionOptions(Dim: 16, Heads: 2, LambdaInitStd: 0));
        using var scope = TensorScope.Enter();
        Assert.Equal(0.8, layer.Lambda().Item(), 6);
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        using (Torch.NoGrad())
        {
            parameters["lambda_q1"].Fill_(1.0);
            parameters["lambda_k1"].Fill_(0.25);   // λq1·λk1 = 4 · 0.25 = 1
        }
        Assert.Equal(0.9, layer.Lambda().Item(), 6);  // e − 1 + 0.8 clamps to 0.9
        using (Torch.NoGrad())
        {
            parameters["lambda_q1"].Fill_(0.0);
            parameters["lambda_q2"].Fill_(0.5);
            parameters["lambda_k2"].Fill_(0.1);    // λq2·λk2 = 0.2
        }
        Assert.Equal(Math.Max(0.1, 1 - Math.Exp(0.2) + 0.8), layer.Lambda().Item(), 6);
    }

    private static Moe Mixture(MoeOptions options, ulong seed = 5)
    {
        Torch.ManualSeed(seed);
        var layer = new Moe(options);
        layer.To(DType.Float64);
        using (Torch.NoGrad()) layer.NamedParameters().Single(p => p.Name == "gate.weight").Parameter.Mul_(4.0);
        return layer;
    }

    public static TheoryData<long, long, bool, bool> MoeCases => new()
    {
        // experts, top k, dynamic, normalize
        { 4, 2, false, true }, { 8, 2, false, true }, { 8, 1, false, false }, { 6, 2, true, true }, { 5, 1, true, false }, { 3, 3, false, true },
    };

    /// <summary>Gather → expert → index_add equals every expert on every token with a dense masked weight matrix.</summary>
    [Theory]
    [MemberData(nameof(MoeCases))]
    public void MoeDispatchEqualsTheDenseMaskedMixture(long experts, long topK, bool dynamic, bool normalize)
    {
        using var layer = Mixture(new MoeOptions(Dim: 6, Hidden: 7, experts, topK, dynamic, normalize));
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var x = Input([3, 9, 6]);
        Same(Differentiate(layer, x, layer.ForwardDense), Differentiate(layer, x, t => layer.Forward(t, context).Output));
    }

    /// <summary>An expert no token is routed to never runs: it gets no gradient at all (the dense mixture would give it zeros).</summary>
    [Fact]
    public void UnroutedExpertsDoNoWork()
    {
        using var layer = Mixture(new MoeOptions(Dim: 6, Hidden: 7, Experts: 4, TopK: 1, DynamicK: false));
        var gateBias = layer.NamedParameters().Single(p => p.Name == "gate.bias").Parameter;
        using (Torch.NoGrad())
        using (var lastBias = gateBias.Narrow(0, 3, 1)) lastBias.Fill_(-1e3);  // expert 3 can never win
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var x = Input([4, 6]);
        layer.Forward(x, context).Output.Sum().Backward();
        var grads = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad);
        Assert.Null(grads["experts.3.fc.weight"]);
        Assert.Null(grads["experts.3.proj.weight"]);
        var used = Enumerable.Range(0, 3).Count(e => grads[$"experts.{e}.fc.weight"] is not null);
        Assert.True(used >= 1);
        var usage = context.Metrics["usage"].ToArray<double>();
        Assert.Equal(0.0, usage[3]);
        Assert.Equal(1.0, usage.Sum(), 12);
        Assert.Equal(1.0, context.Metrics["k"].Item());
        Assert.Equal(used, usage.Count(u => u > 0));
    }

    /// <summary>Uniform gate (zero weights and bias): H = log E, so dynamic k = clamp(⌊k(1 + log E)⌋, 1, E), the losses in closed form.</summary>
    [Fact]
    public void UniformGateGivesTheClosedFormLosses()
    {
        using var layer = Mixture(new MoeOptions(Dim: 4, Hidden: 5, Experts: 8, TopK: 1, DynamicK: true, BalanceWeight: 0.01, ZLossWeight: 0.001));
        using (Torch.NoGrad())
            foreach (var (name, parameter) in layer.NamedParameters().Where(p => p.Name.StartsWith("gate", StringComparison.Ordinal)))
                parameter.Zero_();
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var result = layer.Forward(Input([10, 4]), context);
        var routing = layer.Route(Input([10, 4]));
        Assert.All(routing.K.ToArray<long>(), k => Assert.Equal((long)Math.Floor(1 + Math.Log(8)), k));   // ⌊1 + 2.079⌋ = 3
        Assert.Equal(Math.Log(8), result.Entropy.Item(), 12);
        Assert.Equal(0.0, result.Overuse.Item(), 15);                 // every share is 1/8 < 0.4
        Assert.Equal(Math.Pow(Math.Log(8), 2), result.ZLoss.Item(), 12);  // logsumexp of zeros = log 8
        // Balance: E·Σ f_e·(1/8) = 1 whatever the assignment counts.
        Assert.Equal(1.0, result.Balance.Item(), 12);
        Assert.Equal(0.05 * Math.Log(8) + 0.01 + 0.001 * Math.Pow(Math.Log(8), 2), result.Aux.Item(), 12);
    }

    [Fact]
    public void OveruseCountsOnlyTheShareAboveTheThreshold()
    {
        using var layer = Mixture(new MoeOptions(Dim: 4, Hidden: 5, Experts: 2, TopK: 1, DynamicK: false));
        var parameters = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        using (Torch.NoGrad())
        {
            parameters["gate.weight"].Zero_();
            parameters["gate.bias"].Copy_(Tensor.From(new[] { Math.Log(3.0), 0.0 }));  // p = (3/4, 1/4) for every token
        }
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var result = layer.Forward(Input([6, 4]), context);
        Assert.Equal(0.75 - 0.4, result.Overuse.Item(), 12);
        Assert.Equal(2 * (1.0 * 0.75 + 0.0 * 0.25), result.Balance.Item(), 12);  // every token goes to expert 0
    }

    [Theory]
    [InlineData(3L, 1L, 1L, 1L, false)]
    [InlineData(3L, 2L, 2L, 2L, false)]
    [InlineData(4L, 1L, 0L, 3L, false)]
    [InlineData(3L, 1L, 0L, 2L, true)]
    [InlineData(2L, 3L, 0L, 1L, true)]
    public void DeformableConvWithZeroOffsetsEqualsConv1d(long kernel, long stride, long padding, long dilation, bool causal)
    {
        Torch.ManualSeed(23);
        using var layer = new DeformableConv1d(new DeformableConv1dOptions(3, 5, kernel, stride, padding, dilation, Bias: true, causal));
        layer.To(DType.Float64);
        using var scope = TensorScope.Enter();
        var x = Input([2, 13, 3]);
        var channelsFirst = x.Transpose(1, 2);
        var expected = causal
            ? Functional.Conv1d(Functional.Pad(channelsFirst, [(kernel - 1) * dilation, 0]), layer.Weight, layer.Bias, stride, 0, dilation)
            : Functional.Conv1d(channelsFirst, layer.Weight, layer.Bias, stride, padding, dilation);
        var actual = layer.Forward(x);
        Assert.Equal(layer.Options.OutputLength(13), actual.Size(1));
        TensorAssert.Close(expected.Transpose(1, 2), actual, Rtol, Atol);
    }

    /// <summary>An offset of exactly one step reads the next position: with padding 1, tap k of output t reads x[t + k].</summary>
    [Fact]
    public void DeformableConvWholeOffsetsShiftTheSamples()
    {
        Torch.ManualSeed(24);
        using var layer = new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 3, Padding: 1));
        layer.To(DType.Float64);
        using (Torch.NoGrad()) layer.OffsetBias.Fill_(1.0);
        using var scope = TensorScope.Enter();
        var x = Input([1, 8, 2]);
        // Shifting every tap by +1 moves the padding to the right: conv1d over x followed by two zeros.
        var shifted = Tensor.Cat([x, Tensor.Zeros([1, 2, 2], DType.Float64)], 1);
        var expected = Functional.Conv1d(shifted.Transpose(1, 2), layer.Weight, layer.Bias).Transpose(1, 2);
        TensorAssert.Close(expected, layer.Forward(x), Rtol, Atol);
    }

    /// <summary>A causal deformable convolution's output t is unchanged by anything after position t, whatever the offsets.</summary>
    [Fact]
    public void CausalDeformableConvIgnoresLaterPositions()
    {
        Torch.ManualSeed(25);
        using var layer = new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 3, Dilation: 2, Causal: true));
        layer.To(DType.Float64);
        using (Torch.NoGrad())
        {
            layer.OffsetWeight.Normal_(0, 2.0);
            layer.OffsetBias.Fill_(2.5);   // offsets pointing into the future
        }
        using var scope = TensorScope.Enter();
        var x = Input([1, 10, 2]);
        var changed = x.Clone();
        using (var tail = changed.Narrow(1, 6, 4)) tail.Normal_(0, 5);
        TensorAssert.Close(layer.Forward(x).Narrow(1, 0, 6), layer.Forward(changed).Narrow(1, 0, 6), Rtol, Atol);
    }

    [Fact]
    public void GatedConvNormalizesEveryPosition()
    {
        Torch.ManualSeed(26);
        using var layer = new GatedConv(new GatedConvOptions(Channels: 6, Dropout: 0, Eps: 1e-12));
        layer.To(DType.Float64);
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var y = layer.Forward(Input([2, 9, 6]), context);
        Assert.Equal([2L, 9, 6], y.Shape);
        TensorAssert.Close(new double[18], y.Mean(-1), null, 0, 1e-12);
        var variance = y.Var(-1, correction: 0).ToArray<double>();
        Assert.All(variance, v => Assert.InRange(v, 1 - 1e-6, 1 + 1e-12));   // σ²/(σ² + eps)
    }

    /// <summary>A constant sequence of power-of-two length has only DC bins: complexity 1/F, ratio (1 − 1/F)/2, and the low-pass keeps it unchanged.</summary>
    [Fact]
    public void EmbeddingCompressionOfAConstantSequence()
    {
        using var layer = new LiquidEmbedding(new LiquidEmbeddingOptions(Vocab: 5, Dim: 3, MaxPositions: 8));
        using var scope = TensorScope.Enter();
        var h = Tensor.From(new[] { 1.0, -2.0, 0.5 }, [1, 1, 3]).Expand(2, 8, 3).Contiguous();
        var compression = layer.Compress(h);
        // N = 8, F = 5; every channel's DC bin is significant (|X| ≥ 0.5·8 > 0.1·16): 3 of 15 values.
        var ratio = 0.5 * (1 - 3.0 / 15);
        Assert.Equal(ratio, compression.Ratios[0], 15);
        Assert.Equal([(long)Math.Ceiling(ratio * 8), (long)Math.Ceiling(ratio * 8)], compression.KeptBins);
        TensorAssert.Close(h, compression.Compressed, 1e-12, 1e-12);
        Assert.Equal(8, LiquidEmbedding.PaddedLength(5));
        Assert.Equal(1, LiquidEmbedding.PaddedLength(1));
    }

    [Fact]
    public void EmbeddingRefusesToContinueFromCarriedState()
    {
        using var layer = new LiquidEmbedding(new LiquidEmbeddingOptions(Vocab: 5, Dim: 4, MaxPositions: 8));
        using var scope = TensorScope.Enter();
        using var state = new ModelState { Position = 3 };
        using var context = new ForwardContext(training: false, state);
        var ids = Tensor.From(new long[] { 1, 2 }, [1, 2]);
        Assert.Throws<InvalidOperationException>(() => layer.Forward(ids, context));
        using var fresh = new ForwardContext(training: false);
        Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([1, 9], DType.Int64), fresh));
        var result = layer.Forward(ids, fresh);
        Assert.Equal([1L, 2, 4], result.Embedding.Shape);
        Assert.Equal(0, result.ReconstructionLoss.Rank);
        Assert.InRange(fresh.Metrics["ratio"].Item(), 0.1, 0.5);
    }

    /// <summary>Dropout follows the context: a training context changes the output, an evaluating one does not.</summary>
    [Fact]
    public void DropoutFollowsTheContext()
    {
        Torch.ManualSeed(27);
        using var ff = new FfLn(new FfLnOptions(Dim: 6, Hidden: 32, Dropout: 0.5));
        using var memory = new LstmMemory(new LstmMemoryOptions(Dim: 6, Hidden: 8, Dropout: 0.5));
        using var gated = new GatedConv(new GatedConvOptions(Channels: 6, Dropout: 0.5));
        using var scope = TensorScope.Enter();
        var x = Tensor.Randn([2, 5, 6]);
        using var evaluating = new ForwardContext(training: false);
        using var training = new ForwardContext(training: true);
        foreach (var run in new Func<ForwardContext, Tensor>[] { c => ff.Forward(x, c), c => memory.Forward(x, null, c).Output, c => gated.Forward(x, c) })
        {
            Assert.True(run(evaluating).Equal(run(evaluating)));
            Assert.False(run(training).Equal(run(evaluating)));
        }
    }

    /// <summary>The state one memory returns is the next one's start: two layers chained equal one LSTM run over both.</summary>
    [Fact]
    public void LstmMemoryStateCarriesToTheNextLayer()
    {
        Torch.ManualSeed(28);
        using var first = new LstmMemory(new LstmMemoryOptions(Dim: 4, Hidden: 3, Layers: 2, Dropout: 0));
        using var second = new LstmMemory(new LstmMemoryOptions(Dim: 4, Hidden: 3, Layers: 2, Dropout: 0));
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        var x = Tensor.Randn([2, 5, 4]);
        var a = first.Forward(x, null, context);
        var b = second.Forward(a.Output, a.State, context);
        Assert.Equal([2L, 2, 3], b.State.H.Shape);
        // The same second layer from a zero state differs: the state was used.
        Assert.False(second.Forward(a.Output, null, context).Output.Equal(b.Output));
        using var carried = b.State.Detach();
        Assert.False(carried.H.RequiresGrad);
        Assert.True(carried.H.Equal(b.State.H));
    }

    [Fact]
    public void InconsistentOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 30, Heads: 4)));
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 32, Heads: 4, KvGroups: 3)));
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 24, Heads: 4)));  // halves of 3 cannot rotate
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 32, Heads: 4, Window: 0)));
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 32, Heads: 4, Window: 4, Causal: false)));
        Assert.Throws<ArgumentException>(() => new DiffAttention(new DiffAttentionOptions(Dim: 32, Heads: 4, LambdaMin: 0.9, LambdaMax: 0.1)));
        Assert.Throws<ArgumentException>(() => new Moe(new MoeOptions(Dim: 4, Hidden: 4, Experts: 4, TopK: 5)));
        Assert.Throws<ArgumentException>(() => new Moe(new MoeOptions(Dim: 4, Hidden: 4, Experts: 0)));
        Assert.Throws<ArgumentException>(() => new Moe(new MoeOptions(Dim: 4, Hidden: 4, OveruseThreshold: 1.5)));
        Assert.Throws<ArgumentException>(() => new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 3, Padding: 1, Causal: true)));
        Assert.Throws<ArgumentException>(() => new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 0)));
        Assert.Throws<ArgumentException>(() => new GatedConv(new GatedConvOptions(Channels: 4, Kernel: 2, Dilation: 1)));
        Assert.Throws<ArgumentException>(() => new LiquidEmbedding(new LiquidEmbeddingOptions(Vocab: 4, Dim: 4, MaxPositions: 8, Kernel: 2)));
        Assert.Throws<ArgumentException>(() => new LiquidEmbedding(new LiquidEmbeddingOptions(Vocab: 4, Dim: 4, MaxPositions: 8, MinRatio: 0)));
        Assert.Throws<ArgumentException>(() => new LstmMemory(new LstmMemoryOptions(Dim: 4, Layers: 0)));
        Assert.Throws<ArgumentException>(() => new FfLn(new FfLnOptions(Dim: 4, Hidden: 8, Dropout: 1)));
    }

    [Fact]
    public void WrongInputShapesNameTheLayer()
    {
        using var attention = new DiffAttention(new DiffAttentionOptions(Dim: 16, Heads: 2));
        using var moe = new Moe(new MoeOptions(Dim: 4, Hidden: 4));
        using var conv = new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 5));
        using var scope = TensorScope.Enter();
        using var context = new ForwardContext(training: false);
        Assert.Throws<ShapeException>(() => attention.Forward(Tensor.Zeros([2, 3, 15]), context));
        Assert.Throws<ShapeException>(() => moe.Forward(Tensor.Zeros([2, 3, 5]), context));
        Assert.Throws<ShapeException>(() => conv.Forward(Tensor.Zeros([2, 3, 5])));
        Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros([2, 3, 2])));  // shorter than the kernel
    }
}
