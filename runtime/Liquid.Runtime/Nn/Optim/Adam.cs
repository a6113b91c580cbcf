using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Adam"/> and <see cref="AdamW"/> (defaults as torch.optim; AdamW's decay defaults to 0.01 there).</summary>
/// <param name="LearningRate">Step size.</param>
/// <param name="Beta1">Decay of the first-moment average.</param>
/// <param name="Beta2">Decay of the second-moment average.</param>
/// <param name="Eps">Added to the denominator.</param>
/// <param name="WeightDecay">L2 (Adam) or decoupled (AdamW) weight decay.</param>
/// <param name="Fused">
/// Update contiguous CPU float32/float64 parameters in one pass over memory (torch.optim's <c>fused</c>
/// role) instead of op by op; same arithmetic, far less memory traffic and no temporaries. Other
/// tensors always take the op-by-op path.
/// </param>
public sealed record AdamOptions(double LearningRate = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8, double WeightDecay = 0,
    bool Fused = true);

/// <summary>Adam (<c>torch.optim.Adam</c>); weight decay is L2, added to the gradient.</summary>
public class Adam : Optimizer
{
    private readonly AdamOptions _options;
    private readonly bool _decoupled;

    /// <summary>One group of all <paramref name="parameters"/>.</summary>
    public Adam(IEnumerable<Tensor> parameters, AdamOptions options)
        : this([new ParameterGroup(parameters.ToList(), options.LearningRate, options.WeightDecay)], options) { }

    /// <summary>Explicit groups; <paramref name="options"/> supply betas and eps.</summary>
    public Adam(IReadOnlyList<ParameterGroup> groups, AdamOptions options) : this(groups, options, decoupled: false) { }

    private protected Adam(IReadOnlyList<ParameterGroup> groups, AdamOptions options, bool decoupled) : base(groups)
    {
        if (options.Beta1 is < 0 or >= 1 || options.Beta2 is < 0 or >= 1) throw new ArgumentException("betas must be in [0, 1)");
        if (options.Eps <= 0) throw new ArgumentException("eps must be positive");
        _options = options;
        _decoupled = decoupled;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor gradient, ParameterGroup group, Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("exp_avg", out var expAvg)) state["exp_avg"] = expAvg = StateTensor(parameter);
        if (!state.TryGetValue("exp_avg_sq", out var expAvgSq)) state["exp_avg_sq"] = expAvgSq = StateTensor(parameter);
        // Per-parameter step counts (as torch.optim keeps them) so parameters that skip a step stay exact.
        // The native update increments it and uses the new count, without a round trip through .NET.
        if (!state.TryGetValue("step", out var step)) state["step"] = step = Owned(Tensor.Scalar(0L));
        Tensor.Check(Native.lq_adam_step(parameter.H(), gradient.H(), expAvg.H(), expAvgSq.H(), step.H(), group.LearningRate,
            _options.Beta1, _options.Beta2, _options.Eps, group.WeightDecay, _decoupled ? 1 : 0, _options.Fused ? 1 : 0), "Adam.Step");
    }
}

/// <summary>AdamW (<c>torch.optim.AdamW</c>): weight decay shrinks the weights directly, decoupled from the gradient.</summary>
public sealed class AdamW : Adam
{
    /// <summary>One group of all <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, AdamOptions options)
        : this([new ParameterGroup(parameters.ToList(), options.LearningRate, options.WeightDecay)], options) { }

    /// <summary>Explicit groups (see <see cref="ParameterGroups.DecayAndNoDecay"/>).</summary>
    public AdamW(IReadOnlyList<ParameterGroup> groups, AdamOptions options) : base(groups, options, decoupled: true) { }
}
