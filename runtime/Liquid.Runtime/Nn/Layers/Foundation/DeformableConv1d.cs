namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="DeformableConv1d"/>.</summary>
/// <param name="InChannels">Channels C of the input [B, T, C].</param>
/// <param name="OutChannels">Channels O of the output [B, T', O].</param>
/// <param name="Kernel">Taps K.</param>
/// <param name="Stride">Step s between output positions.</param>
/// <param name="Padding">Zeros p on both sides (non-causal only).</param>
/// <param name="Dilation">Spacing d between taps.</param>
/// <param name="Bias">Learned bias on the output.</param>
/// <param name="Causal">
/// Pads (K − 1)·d on the left only, and a tap never reads beyond its output's own position t·s (a
/// sample there reads zero), so output t depends on inputs ≤ t·s only. Not in the seed, whose
/// symmetric padding lets a decoder see later tokens.
/// </param>
public sealed record DeformableConv1dOptions(long InChannels, long OutChannels, long Kernel, long Stride = 1, long Padding = 0,
    long Dilation = 1, bool Bias = true, bool Causal = false)
{
    /// <summary>Left padding actually used: Padding, or (K − 1)·d when causal.</summary>
    public long LeftPadding => Causal ? (Kernel - 1) * Dilation : Padding;

    /// <summary>Output length T' for an input of <paramref name="steps"/> positions (conv1d's formula).</summary>
    public long OutputLength(long steps) =>
        (steps + LeftPadding + (Causal ? 0 : Padding) - Dilation * (Kernel - 1) - 1) / Stride + 1;

    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (InChannels < 1 || OutChannels < 1) throw new ArgumentException($"deformable_conv1d: channels {InChannels} → {OutChannels} must be at least 1");
        if (Kernel < 1) throw new ArgumentException($"deformable_conv1d: kernel {Kernel} must be at least 1");
        if (Stride < 1) throw new ArgumentException($"deformable_conv1d: stride {Stride} must be at least 1");
        if (Dilation < 1) throw new ArgumentException($"deformable_conv1d: dilation {Dilation} must be at least 1");
        if (Padding < 0) throw new ArgumentException($"deformable_conv1d: padding {Padding} must not be negative");
        if (Causal && Padding != 0) throw new ArgumentException("deformable_conv1d: a causal convolution computes its own padding; leave padding at 0");
    }
}

/// <summary>
/// Deformable 1-D convolution (the 1-D case of Dai et al. 2017's deformable convolution, v1):
/// out[b, t, o] = bias[o] + Σ_{c,k} W[o, c, k]·x̃[b, c, t·s + k·d − p + Δ[b, k, t]], where x̃ is x
/// linearly interpolated between integer positions and zero outside [0, T − 1], and the offsets Δ
/// [B, K, T'] come from a convolution of x with the same kernel, stride, dilation and padding.
/// </summary>
/// <remarks>
/// <para>Layout: input [B, T, C] and output [B, T', O] (time before channels, as the models' streams are);
/// weights keep conv1d's layout. Parameters, in state-dict order: <c>weight</c> [O, C, K] and <c>bias</c>
/// [O] (<c>nn.Conv1d</c>'s default init, U(±1/√(C·K))), <c>offset_weight</c> [K, C, K] and
/// <c>offset_bias</c> [K], zero-initialized, so a new layer is exactly a conv1d.</para>
/// <para>Sampling keeps the integral and fractional parts of a position apart: the integral part
/// t·s + k·d − p + ⌊Δ⌋ is exact int64 arithmetic and the fraction Δ − ⌊Δ⌋ ∈ [0, 1) weighs the two
/// neighbours, (1 − f)·x[i] + f·x[i + 1], so zero offsets read x[t·s + k·d − p] exactly and the layer
/// equals <c>F.conv1d</c> (to rounding of the summation order). ∂out/∂Δ is x[i + 1] − x[i] (the slope of the
/// segment Δ lies in; ⌊Δ⌋ has no gradient), as in <c>F.grid_sample</c>'s bilinear mode.</para>
/// </remarks>
public sealed class DeformableConv1d : Module
{
    /// <summary>Creates the layer; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public DeformableConv1d(DeformableConv1dOptions options)
    {
        options.Validate();
        Options = options;
        var fanIn = options.InChannels * options.Kernel;
        Weight = RegisterParameter("weight", Init.UniformFanIn(Tensor.Empty([options.OutChannels, options.InChannels, options.Kernel]), fanIn));
        if (options.Bias) Bias = RegisterParameter("bias", Init.UniformFanIn(Tensor.Empty([options.OutChannels]), fanIn));
        OffsetWeight = RegisterParameter("offset_weight", Tensor.Zeros([options.Kernel, options.InChannels, options.Kernel]));
        OffsetBias = RegisterParameter("offset_bias", Tensor.Zeros([options.Kernel]));
    }

    /// <summary>The options this layer was built with.</summary>
    public DeformableConv1dOptions Options { get; }

    /// <summary>[O, C, K].</summary>
    public Tensor Weight { get; }

    /// <summary>[O], or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Weight of the offset convolution, [K, C, K].</summary>
    public Tensor OffsetWeight { get; }

    /// <summary>Bias of the offset convolution, [K].</summary>
    public Tensor OffsetBias { get; }

    /// <summary>[B, T, C] → [B, T', O].</summary>
    public Tensor Forward(Tensor input)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.InChannels, $"[B, T, {Options.InChannels}]", input);
        long batch = input.Size(0), steps = input.Size(1), outputs = Options.OutputLength(steps);
        if (outputs < 1)
            throw new ArgumentException($"{Describe()}: an input of {steps} positions is shorter than the kernel's reach {Options.Dilation * (Options.Kernel - 1) + 1}");
        long channels = Options.InChannels, kernel = Options.Kernel;

        using var scope = TensorScope.Enter();
        var offsets = Offsets(input);                                             // [B, K, T']
        var samples = Sample(input, offsets, batch, steps, outputs);              // [B, T', C, K]
        var output = samples.Reshape(batch, outputs, channels * kernel)
            .MatMul(Weight.View(Options.OutChannels, channels * kernel).Transpose(0, 1));
        if (Bias is not null) output = output.Add(Bias);
        return scope.Keep(ActivationMonitor.Observe(this, output));
    }

    /// <summary>Δ [B, K, T'] from the offset convolution (causal: left-padded).</summary>
    private Tensor Offsets(Tensor input)
    {
        using var scope = TensorScope.Enter();
        var channelsFirst = input.Transpose(1, 2);
        if (Options.Causal) channelsFirst = Functional.Pad(channelsFirst, [Options.LeftPadding, 0]);
        var padding = Options.Causal ? 0 : Options.Padding;
        return scope.Keep(Functional.Conv1d(channelsFirst, OffsetWeight, OffsetBias, Options.Stride, padding, Options.Dilation));
    }

    /// <summary>x̃ at every tap's position: [B, T', C, K] (in the caller's scope).</summary>
    private Tensor Sample(Tensor input, Tensor offsets, long batch, long steps, long outputs)
    {
        long channels = Options.InChannels, kernel = Options.Kernel;
        var device = input.Device;
        // Integral base position of tap k of output t: t·s + k·d − p, [K, T'].
        var t = Tensor.Arange(0L, outputs, 1L, DType.Int64, device);
        var taps = Tensor.Arange(0L, kernel, 1L, DType.Int64, device).Mul(Options.Dilation).Unsqueeze(1);
        var basePosition = t.Mul(Options.Stride).Unsqueeze(0).Add(taps).Sub(Options.LeftPadding);
        // Δ = ⌊Δ⌋ + f: the floor has no gradient, f carries all of it.
        Tensor whole;
        using (Torch.NoGrad()) whole = offsets.Floor();
        var fraction = offsets.Sub(whole);                                        // [B, K, T']
        var low = basePosition.Unsqueeze(0).Add(whole.To(DType.Int64));          // [B, K, T']
        // Last readable position of each output: T − 1, or (causal) its own position t·s.
        var limit = Options.Causal ? t.Mul(Options.Stride).Unsqueeze(0).Unsqueeze(0) : null;

        // Rows of x flattened over the batch: row b·T + i is x[b, i].
        var rows = input.Reshape(batch * steps, channels);
        var batchStart = Tensor.Arange(0L, batch * steps, steps, DType.Int64, device).View(batch, 1, 1);
        Tensor Read(Tensor position)
        {
            var valid = position.Ge(0L).LogicalAnd(position.Le(steps - 1));
            if (limit is not null) valid = valid.LogicalAnd(position.Le(limit));
            var index = position.Clamp(0L, steps - 1).Add(batchStart).Reshape(-1);
            var values = rows.IndexSelect(0, index).View(batch, kernel, outputs, channels);
            return values.Mul(valid.Unsqueeze(-1).To(input.DType));
        }
        var weightHigh = fraction.Unsqueeze(-1);
        var sampled = Read(low).Mul(weightHigh.RSub(1.0)).Add(Read(low.Add(1L)).Mul(weightHigh)); // [B, K, T', C]
        return sampled.Permute(0, 2, 3, 1);
    }

    /// <summary>
    /// Per output position: the offset convolution (2·C·K·K), the interpolation (about 6 per sampled
    /// value, C·K of them) and the weighted sum (2·C·K·O); divided by the stride for per-input-position.
    /// </summary>
    public override long FlopsPerPosition(long context)
    {
        long channels = Options.InChannels, kernel = Options.Kernel;
        var perOutput = 2 * channels * kernel * kernel + 6 * channels * kernel + 2 * channels * kernel * Options.OutChannels;
        return perOutput / Options.Stride;
    }
}
