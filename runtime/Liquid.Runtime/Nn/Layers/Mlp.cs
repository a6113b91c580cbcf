namespace Liquid.Runtime.Nn;

/// <summary>The MLP's hidden nonlinearity, including the gated (GLU) variants.</summary>
public enum MlpActivation
{
    /// <summary>fc → GELU → proj (GPT-2; <see cref="MlpOptions.TanhGelu"/> selects the approximation).</summary>
    Gelu,
    /// <summary>fc → ReLU → proj.</summary>
    Relu,
    /// <summary>fc → SiLU → proj.</summary>
    Silu,
    /// <summary>proj(silu(gate x) · up x) (Llama).</summary>
    SwiGlu,
    /// <summary>proj(gelu(gate x) · up x).</summary>
    GeGlu,
}

/// <summary>Options of <see cref="Mlp"/>.</summary>
/// <param name="Dim">Input and output width.</param>
/// <param name="Hidden">Hidden width.</param>
/// <param name="Activation">Hidden nonlinearity, plain or gated.</param>
/// <param name="Bias">Biases on the projections.</param>
/// <param name="Dropout">Dropout on the output (GPT-2's residual dropout).</param>
/// <param name="TanhGelu">Use GELU's tanh approximation (GPT-2) for Gelu and GeGlu.</param>
/// <param name="InitStd">Weight init N(0, std²) with zero biases; null keeps PyTorch's default.</param>
/// <param name="ProjInitStd">Separate init std for the output projection (GPT-2 scales it by 1/√(2·layers)); defaults to InitStd.</param>
public sealed record MlpOptions(long Dim, long Hidden, MlpActivation Activation = MlpActivation.Gelu, bool Bias = true,
    double Dropout = 0, bool TanhGelu = false, double? InitStd = null, double? ProjInitStd = null);

/// <summary>
/// The position-wise feed-forward block. Plain: <c>fc</c> [dim→hidden] → activation → <c>proj</c>
/// [hidden→dim] → dropout. Gated: <c>gate</c> and <c>up</c> [dim→hidden], act(gate)·up, then
/// <c>proj</c>. SwiGLU uses the fused <see cref="Functional.SwiGlu"/>.
/// </summary>
public sealed class Mlp : Module
{
    private readonly Linear? _fc;
    private readonly Linear? _gate;
    private readonly Linear? _up;
    private readonly Linear _proj;
    private readonly Dropout _dropout;

    /// <summary>Creates the block.</summary>
    public Mlp(MlpOptions options)
    {
        Options = options;
        var inner = new LinearOptions(options.Dim, options.Hidden, options.Bias, options.InitStd);
        if (IsGated)
        {
            _gate = RegisterModule("gate", new Linear(inner));
            _up = RegisterModule("up", new Linear(inner));
        }
        else
        {
            _fc = RegisterModule("fc", new Linear(inner));
        }
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.Hidden, options.Dim, options.Bias, options.ProjInitStd ?? options.InitStd)));
        _dropout = RegisterModule("dropout", new Dropout(options.Dropout));
    }

    /// <summary>The options this block was built with.</summary>
    public MlpOptions Options { get; }

    private bool IsGated => Options.Activation is MlpActivation.SwiGlu or MlpActivation.GeGlu;

    /// <summary>[..., dim] → [..., dim].</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = TensorScope.Enter();
        var hidden = Options.Activation switch
        {
            MlpActivation.SwiGlu => Functional.SwiGlu(_gate!.Forward(input), _up!.Forward(input)),
            MlpActivation.GeGlu => _gate!.Forward(input).Gelu(Options.TanhGelu).Mul(_up!.Forward(input)),
            MlpActivation.Gelu => _fc!.Forward(input).Gelu(Options.TanhGelu),
            MlpActivation.Relu => _fc!.Forward(input).Relu(),
            MlpActivation.Silu => _fc!.Forward(input).Silu(),
            _ => throw new InvalidOperationException($"unknown activation {Options.Activation}"),
        };
        return scope.Keep(_dropout.Forward(_proj.Forward(hidden)));
    }
}
