namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="FfLn"/>.</summary>
/// <param name="Dim">Input and output width d.</param>
/// <param name="Hidden">Inner width ff (the Liquid Foundation default is 1024).</param>
/// <param name="Dropout">Dropout after the GELU while training (the seed's 0.1).</param>
/// <param name="Eps">Epsilon of the inner LayerNorm (PyTorch's 1e-5).</param>
public sealed record FfLnOptions(long Dim, long Hidden, double Dropout = 0.1, double Eps = 1e-5)
{
    /// <summary>Throws <see cref="ArgumentException"/> describing the first inconsistent option.</summary>
    public void Validate()
    {
        if (Dim < 1) throw new ArgumentException($"ff_ln: dim {Dim} must be at least 1");
        if (Hidden < 1) throw new ArgumentException($"ff_ln: hidden {Hidden} must be at least 1");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"ff_ln: dropout {Dropout} must be in [0, 1)");
        if (!(Eps > 0)) throw new ArgumentException($"ff_ln: eps {Eps} must be positive");
    }
}

/// <summary>
/// The Liquid Foundation feed-forward block (SEED-MODELS §3 "FF"): Linear(d, ff) → LayerNorm(ff) →
/// GELU → dropout → Linear(ff, d), over the last dimension.
/// </summary>
/// <remarks>
/// Submodules, in state-dict order: <c>fc</c> (<c>nn.Linear(d, ff)</c>), <c>ln</c>
/// (<c>nn.LayerNorm(ff)</c>), <c>proj</c> (<c>nn.Linear(ff, d)</c>), all with PyTorch's default
/// initialization. The GELU is the exact one (<c>F.gelu</c>, approximate "none").
/// </remarks>
public sealed class FfLn : Module
{
    private readonly Linear _fc;
    private readonly LayerNorm _ln;
    private readonly Linear _proj;

    /// <summary>Creates the block; throws <see cref="ArgumentException"/> if the options are inconsistent.</summary>
    public FfLn(FfLnOptions options)
    {
        options.Validate();
        Options = options;
        _fc = RegisterModule("fc", new Linear(new LinearOptions(options.Dim, options.Hidden)));
        _ln = RegisterModule("ln", new LayerNorm(new LayerNormOptions(options.Hidden, options.Eps)));
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.Hidden, options.Dim)));
    }

    /// <summary>The options this block was built with.</summary>
    public FfLnOptions Options { get; }

    /// <summary>[..., d] → [..., d]; dropout is active while <see cref="ForwardContext.Training"/>.</summary>
    public Tensor Forward(Tensor input, ForwardContext context)
    {
        ExpectShape(input.Rank >= 1 && input.Size(-1) == Options.Dim, $"[..., {Options.Dim}]", input);
        using var scope = TensorScope.Enter();
        var hidden = _ln.Forward(_fc.Forward(input)).Gelu();
        if (context.Training && Options.Dropout > 0) hidden = Functional.Dropout(hidden, Options.Dropout, training: true);
        return scope.Keep(_proj.Forward(hidden));
    }

    /// <summary>The GELU, one operation per element (the Linear and LayerNorm submodules count their own).</summary>
    public override long FlopsPerPosition(long context) => Options.Hidden;
}
