namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="GatedConv"/>.</summary>
/// <param name="Channels">Width C of the stream [B, T, C].</param>
/// <param name="Kernel">Taps of the deformable convolution (the seed's 3; odd unless causal, so the length is kept).</param>
/// <param name="Dilation">Spacing of the taps (the seed's 2).</param>
/// <param name="Dropout">Dropout on the gated activation while training (the seed's 0.1).</param>
/// <param name="Eps">Epsilon of the final normalization.</param>
/// <param name="Causal">Causal deformable convolution (see <see cref="DeformableConv1dOptions.Causal"/>); the seed's is not.</param>
public sealed record GatedConvOptions(long Channels, long Kernel = 3, long Dilation = 2, double Dropout = 0.1, double Eps = 1e-5, bool Causal = false)
{
    /// <summary>The convolution: C → 2C, stride 1, padding d·(K − 1)/2 on both sides (or causal), so T is kept.</summary>
    public DeformableConv1dOptions Convolution => new(Channels, 2 * Channels, Kernel, Stride: 1,
        Padding: Causal ? 0 : Dilation * (Kernel - 1) / 2, Dilation: Dilation, Bias: true, Causal: Causal);

    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Channels < 1) throw new ArgumentException($"gated_conv: channels {Channels} must be at least 1");
        if (Kernel < 1) throw new ArgumentException($"gated_conv: kernel {Kernel} must be at least 1");
        if (Dilation < 1) throw new ArgumentException($"gated_conv: dilation {Dilation} must be at least 1");
        if (!Causal && Dilation * (Kernel - 1) % 2 != 0)
            throw new ArgumentException($"gated_conv: dilation {Dilation} × (kernel {Kernel} − 1) is odd, so symmetric padding cannot keep the length");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"gated_conv: dropout {Dropout} must be in [0, 1)");
        if (!(Eps > 0)) throw new ArgumentException($"gated_conv: eps {Eps} must be positive");
    }
}

/// <summary>
/// The Liquid Foundation's gated convolution (SEED-MODELS §3 "GatedConv"): y = DeformableConv1d(x)
/// (C → 2C), split into main | gate along channels, GELU(main)·σ(gate) → dropout → normalization of
/// each position over its C channels without affine parameters (<c>F.layer_norm(·, (C,))</c>).
/// </summary>
/// <remarks>Submodule: <c>conv</c> (<see cref="DeformableConv1d"/>; keys <c>conv.weight</c>, <c>conv.bias</c>,
/// <c>conv.offset_weight</c>, <c>conv.offset_bias</c>). Input and output [B, T, C].</remarks>
public sealed class GatedConv : Module
{
    private readonly DeformableConv1d _conv;

    /// <summary>Creates the block; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public GatedConv(GatedConvOptions options)
    {
        options.Validate();
        Options = options;
        _conv = RegisterModule("conv", new DeformableConv1d(options.Convolution));
    }

    /// <summary>The options this block was built with.</summary>
    public GatedConvOptions Options { get; }

    /// <summary>[B, T, C] → [B, T, C].</summary>
    public Tensor Forward(Tensor input, ForwardContext context)
    {
        ExpectShape(input.Rank == 3 && input.Size(-1) == Options.Channels, $"[B, T, {Options.Channels}]", input);
        using var scope = TensorScope.Enter();
        var halves = _conv.Forward(input).Chunk(2, -1);
        var gated = halves[0].Gelu().Mul(halves[1].Sigmoid());
        if (context.Training && Options.Dropout > 0) gated = Functional.Dropout(gated, Options.Dropout, training: true);
        return scope.Keep(Functional.LayerNorm(gated, [Options.Channels], eps: Options.Eps));
    }

    /// <summary>GELU, sigmoid, product and the normalization (about 5 per element), per position over C channels.</summary>
    public override long FlopsPerPosition(long context) => 8 * Options.Channels;
}
