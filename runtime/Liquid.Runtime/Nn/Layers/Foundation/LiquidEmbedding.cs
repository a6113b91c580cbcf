using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>What the reconstruction loss of <see cref="LiquidEmbedding"/> compares the output with.</summary>
public enum ReconstructionTarget
{
    /// <summary>proj(r), the head projection the output normalizes (SEED-MODELS §3 as written).</summary>
    Projection,
    /// <summary>h, the embedding before compression: how well the compressed output reconstructs it.</summary>
    Embedding,
}

/// <summary>Options of <see cref="LiquidEmbedding"/>.</summary>
/// <param name="Vocab">Token vocabulary size.</param>
/// <param name="Dim">Embedding width d.</param>
/// <param name="MaxPositions">Longest sequence (rows of the learned position table).</param>
/// <param name="Kernel">Width of both convolutions (the seed's 3; odd unless causal, so the length is kept).</param>
/// <param name="Dropout">Dropout after the first LayerNorm while training (the seed's 0.1).</param>
/// <param name="Threshold">A frequency bin is significant when |X| &gt; Threshold·max|X| (the seed's 0.1).</param>
/// <param name="RatioScale">ratio = clamp(RatioScale·(1 − complexity), MinRatio, MaxRatio) (the seed's 0.5).</param>
/// <param name="MinRatio">Lower clamp of the ratio (the seed's 0.1).</param>
/// <param name="MaxRatio">Upper clamp of the ratio (the seed's 1).</param>
/// <param name="CosineWeight">Weight of mean(1 − cos) in the reconstruction loss (0.6).</param>
/// <param name="SmoothL1Weight">Weight of Smooth L1 (0.2).</param>
/// <param name="MseWeight">Weight of MSE (0.2).</param>
/// <param name="SmoothL1Beta">Smooth L1's transition point (PyTorch's 1).</param>
/// <param name="Eps">Epsilon of both LayerNorms.</param>
/// <param name="Causal">Left-padded causal convolutions (not the seed's; the FFT stays sequence-global either way).</param>
/// <param name="Target">What the reconstruction loss compares the output with.</param>
/// <param name="InitStd">Init std of the token and position tables; null keeps <c>nn.Embedding</c>'s N(0, 1).</param>
public sealed record LiquidEmbeddingOptions(long Vocab, long Dim, long MaxPositions, long Kernel = 3, double Dropout = 0.1,
    double Threshold = 0.1, double RatioScale = 0.5, double MinRatio = 0.1, double MaxRatio = 1.0,
    double CosineWeight = 0.6, double SmoothL1Weight = 0.2, double MseWeight = 0.2, double SmoothL1Beta = 1.0, double Eps = 1e-5,
    bool Causal = false, ReconstructionTarget Target = ReconstructionTarget.Projection, double? InitStd = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Vocab < 1 || Dim < 1 || MaxPositions < 1)
            throw new ArgumentException($"liquid_embedding: vocab {Vocab}, dim {Dim} and max_positions {MaxPositions} must be at least 1");
        if (Kernel < 1) throw new ArgumentException($"liquid_embedding: kernel {Kernel} must be at least 1");
        if (!Causal && Kernel % 2 == 0) throw new ArgumentException($"liquid_embedding: an even kernel {Kernel} cannot keep the length with symmetric padding (use an odd one, or causal)");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"liquid_embedding: dropout {Dropout} must be in [0, 1)");
        if (Threshold is < 0 or > 1) throw new ArgumentException($"liquid_embedding: threshold {Threshold} must be in [0, 1]");
        if (!(MinRatio > 0) || MinRatio > MaxRatio || MaxRatio > 1)
            throw new ArgumentException($"liquid_embedding: ratios need 0 < min_ratio ({MinRatio}) ≤ max_ratio ({MaxRatio}) ≤ 1");
        if (!double.IsFinite(RatioScale)) throw new ArgumentException($"liquid_embedding: ratio_scale {RatioScale} must be finite");
        if (!(SmoothL1Beta > 0)) throw new ArgumentException($"liquid_embedding: smooth_l1_beta {SmoothL1Beta} must be positive");
        if (!(Eps > 0)) throw new ArgumentException($"liquid_embedding: eps {Eps} must be positive");
        if (InitStd is { } std && !(std > 0)) throw new ArgumentException($"liquid_embedding: init_std {std} must be positive");
    }
}

/// <summary>The outputs of <see cref="LiquidEmbedding.Forward"/>, in the order the generator binds them.</summary>
/// <param name="Embedding">out = LN(proj(r)), [B, T, d]: what the decoder reads.</param>
/// <param name="ReconstructionLoss">The scalar reconstruction loss (an auxiliary loss).</param>
public readonly record struct LiquidEmbeddingOutput(Tensor Embedding, Tensor ReconstructionLoss);

/// <summary>The adaptive FFT compression of a batch (<see cref="LiquidEmbedding.Compress"/>).</summary>
/// <param name="Compressed">r, the low-passed sequence [B, T, d].</param>
/// <param name="KeptBins">Frequency bins kept per sample (of N/2 + 1).</param>
/// <param name="Ratios">The compression ratio of each sample.</param>
public sealed record LiquidCompression(Tensor Compressed, long[] KeptBins, double[] Ratios);

/// <summary>
/// The Liquid Foundation's input embedding with adaptive FFT compression (SEED-MODELS §3
/// "LiquidEmbedding"): h = dropout(LN(GELU(conv(GELU(conv(tok + pos)))))); r = low-pass of h over
/// the sequence; out = LN(proj(r)); plus a reconstruction loss.
/// </summary>
/// <remarks>
/// <para>Submodules, in state-dict order: <c>token</c> (<see cref="Embedding"/>), <c>position</c>
/// (<see cref="LearnedPositionEmbedding"/>), <c>conv1</c>, <c>conv2</c> (<see cref="Conv1d"/> d → d,
/// padding (K − 1)/2), <c>norm</c> (<see cref="LayerNorm"/>), <c>proj</c> (<see cref="Linear"/> d → d),
/// <c>out_norm</c> (<see cref="LayerNorm"/>). PyTorch's default initialization.</para>
/// <para>Compression, per sample b (so a sample's output does not depend on the rest of the batch):
/// X = rfft(h_b, n = N) along time, N the smallest power of two ≥ T (zero padding), giving F = N/2 + 1
/// bins of d channels; complexity = the share of those F·d values with |X| &gt; Threshold·max|X|, the
/// maximum taken over the sample; ratio = clamp(RatioScale·(1 − complexity), MinRatio, MaxRatio); the
/// first ⌈ratio·N⌉ bins are kept (at least 1, at most F) and the rest zeroed; r = irfft(·, n = N)[:T].
/// The ratio counts bins of the full length-N spectrum, whose two halves mirror each other for real
/// input, so keeping the first ⌈ratio·N⌉ one-sided bins keeps frequencies up to ratio·N, a symmetric
/// low-pass (the seed's scale 0.5 makes the ratio at most 1/2: at most the one-sided half).
/// The ratio is a count: no gradient flows through it.</para>
/// <para>Reconstruction loss ("between out and proj(r) … of a normalized head projection"): read as
/// comparing the normalized head projection out = LN(proj(r)) with the head projection proj(r) itself,
/// both sides differentiable: CosineWeight·mean_{b,t}(1 − cos(out, proj(r))) + SmoothL1Weight·SmoothL1 +
/// MseWeight·MSE (means over all elements), cos along d (<c>F.cosine_similarity</c>, eps 1e-8). It pulls
/// proj(r) toward its own normalization; <see cref="ReconstructionTarget.Embedding"/> compares out with
/// h instead, a reconstruction in the usual sense.</para>
/// <para>Sequence-global: the convolutions (unless causal) see the next K/2 tokens and the FFT mixes
/// the whole sequence, so in a decoder every position sees later tokens, and the layer cannot continue
/// from an earlier call: it refuses a <see cref="ForwardContext"/> whose state has consumed positions.
/// Each step reports <c>{Path}.ratio</c> (the batch's mean ratio).</para>
/// </remarks>
public sealed class LiquidEmbedding : Module
{
    private readonly Embedding _token;
    private readonly LearnedPositionEmbedding _position;
    private readonly Conv1d _conv1;
    private readonly Conv1d _conv2;
    private readonly LayerNorm _norm;
    private readonly Linear _proj;
    private readonly LayerNorm _outNorm;

    /// <summary>Creates the layer; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public LiquidEmbedding(LiquidEmbeddingOptions options)
    {
        options.Validate();
        Options = options;
        long d = options.Dim, k = options.Kernel;
        _token = RegisterModule("token", new Embedding(new EmbeddingOptions(options.Vocab, d, options.InitStd)));
        _position = RegisterModule("position", new LearnedPositionEmbedding(new PositionEmbeddingOptions(options.MaxPositions, d, options.InitStd)));
        var conv = new Conv1dOptions(d, d, k, Padding: options.Causal ? 0 : (k - 1) / 2, Causal: options.Causal);
        _conv1 = RegisterModule("conv1", new Conv1d(conv));
        _conv2 = RegisterModule("conv2", new Conv1d(conv));
        _norm = RegisterModule("norm", new LayerNorm(new LayerNormOptions(d, options.Eps)));
        _proj = RegisterModule("proj", new Linear(new LinearOptions(d, d)));
        _outNorm = RegisterModule("out_norm", new LayerNorm(new LayerNormOptions(d, options.Eps)));
    }

    /// <summary>The options this layer was built with.</summary>
    public LiquidEmbeddingOptions Options { get; }

    /// <summary>int64 ids [B, T] → (out [B, T, d], reconstruction loss).</summary>
    /// <exception cref="InvalidOperationException">The context carries state from earlier calls (see remarks).</exception>
    public LiquidEmbeddingOutput Forward(Tensor ids, ForwardContext context)
    {
        ExpectShape(ids.Rank == 2 && ids.DType is DType.Int64 or DType.Int32, "int64 ids [B, T]", ids);
        if (context.Position > 0)
            throw new InvalidOperationException($"{Describe()}: the embedding mixes the whole sequence (convolutions and FFT), so it cannot continue from {context.Position} earlier positions; run the full sequence without carried state");
        var steps = ids.Size(1);
        if (steps > Options.MaxPositions)
            throw new ArgumentException($"{Describe()}: {steps} positions exceed the table of {Options.MaxPositions}");

        using var scope = TensorScope.Enter();
        var embedded = _position.Forward(_token.Forward(ids));
        var first = _conv1.Forward(embedded.Transpose(1, 2)).Gelu();                   // [B, d, T]
        // The second GELU runs on a contiguous [B, T, d] copy: libtorch 1.13's float32 gelu_backward
        // is wrong when the incoming gradient is strided unlike its input, which a transpose after the
        // GELU would cause.
        var h = _norm.Forward(_conv2.Forward(first).Transpose(1, 2).Contiguous().Gelu());
        if (context.Training && Options.Dropout > 0) h = Functional.Dropout(h, Options.Dropout, training: true);

        var compression = Compress(h);
        var projected = _proj.Forward(compression.Compressed);
        var output = _outNorm.Forward(projected);
        var loss = ReconstructionLoss(output, Options.Target == ReconstructionTarget.Projection ? projected : h);
        context.Report(Path.Length == 0 ? "ratio" : Path + ".ratio", Tensor.Scalar(compression.Ratios.Average()));
        return new LiquidEmbeddingOutput(scope.Keep(output), scope.Keep(loss));
    }

    /// <summary>
    /// The adaptive compression of <paramref name="embedded"/> [B, T, d] alone (see remarks): the
    /// low-passed sequence (in the caller's scope), the bins kept and the ratio of each sample.
    /// </summary>
    public LiquidCompression Compress(Tensor embedded)
    {
        ExpectShape(embedded.Rank == 3 && embedded.Size(-1) == Options.Dim, $"[B, T, {Options.Dim}]", embedded);
        long batch = embedded.Size(0), steps = embedded.Size(1);
        var length = PaddedLength(steps);
        var bins = length / 2 + 1;

        using var scope = TensorScope.Enter();
        var spectrum = embedded.Rfft(length, dim: 1);                                  // [B, F, d] complex
        long[] significant;
        using (Torch.NoGrad())
        {
            var magnitude = spectrum.Abs().Flatten(1);                                  // [B, F·d]
            var largest = magnitude.Max(1, keepDim: true).Values;
            significant = magnitude.Gt(largest.Mul(Options.Threshold)).Sum(1).ToArray<long>();
        }
        var kept = new long[batch];
        var ratios = new double[batch];
        var mask = new double[batch * bins];
        for (var b = 0; b < batch; b++)
        {
            var complexity = (double)significant[b] / (bins * Options.Dim);
            ratios[b] = Math.Min(Math.Max(Options.RatioScale * (1 - complexity), Options.MinRatio), Options.MaxRatio);
            kept[b] = Math.Min(Math.Max((long)Math.Ceiling(ratios[b] * length), 1), bins);
            for (var f = 0; f < kept[b]; f++) mask[b * bins + f] = 1;
        }
        var keep = Tensor.From(mask, [batch, bins, 1], embedded.Device).To(embedded.DType);
        var compressed = spectrum.Mul(keep).Irfft(length, dim: 1).Narrow(1, 0, steps);
        return new LiquidCompression(scope.Keep(compressed), kept, ratios);
    }

    /// <summary>The smallest power of two ≥ <paramref name="steps"/>, the FFT length.</summary>
    public static long PaddedLength(long steps)
    {
        long length = 1;
        while (length < steps) length *= 2;
        return length;
    }

    /// <summary>CosineWeight·mean(1 − cos) + SmoothL1Weight·SmoothL1 + MseWeight·MSE (in the caller's scope).</summary>
    private Tensor ReconstructionLoss(Tensor output, Tensor target)
    {
        var cosine = Tensor.Wrap(Native.lq_cosine_similarity(output.H(), target.H(), -1, 1e-8), "CosineSimilarity");
        var smooth = Functional.SmoothL1Loss(output, target, Reduction.Mean, Options.SmoothL1Beta);
        var squared = Functional.MseLoss(output, target);
        return cosine.RSub(1.0).Mean().Mul(Options.CosineWeight).Add(smooth.Mul(Options.SmoothL1Weight)).Add(squared.Mul(Options.MseWeight));
    }

    /// <summary>
    /// The two GELUs, the FFT pair (about 5·N·log₂N per channel each way, spread over T positions), the
    /// significance count and mask, and the loss terms (about 12 per element).
    /// </summary>
    public override long FlopsPerPosition(long context)
    {
        var steps = Math.Max(1, Math.Min(context, Options.MaxPositions));
        var length = PaddedLength(steps);
        var log2 = Math.Max(1, (long)Math.Round(Math.Log2(length)));
        var fft = 2 * 5 * length * log2 * Options.Dim / steps;
        return 2 * Options.Dim + fft + 12 * Options.Dim;
    }
}
