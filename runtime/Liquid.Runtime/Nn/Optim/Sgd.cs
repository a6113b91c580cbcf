using Liquid.Runtime.Interop;

namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="Sgd"/> (defaults as <c>torch.optim.SGD</c>).</summary>
public sealed record SgdOptions(double LearningRate, double Momentum = 0, double Dampening = 0, double WeightDecay = 0, bool Nesterov = false);

/// <summary>Stochastic gradient descent with momentum and Nesterov (<c>torch.optim.SGD</c>).</summary>
public sealed class Sgd : Optimizer
{
    private readonly SgdOptions _options;

    /// <summary>One group of all <paramref name="parameters"/>.</summary>
    public Sgd(IEnumerable<Tensor> parameters, SgdOptions options)
        : this([new ParameterGroup(parameters.ToList(), options.LearningRate, options.WeightDecay)], options) { }

    /// <summary>Explicit groups; <paramref name="options"/> supply momentum, dampening and Nesterov.</summary>
    public Sgd(IReadOnlyList<ParameterGroup> groups, SgdOptions options) : base(groups)
    {
        if (options.Nesterov && (options.Momentum <= 0 || options.Dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and zero dampening");
        _options = options;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor gradient, ParameterGroup group, Dictionary<string, Tensor> state)
    {
        var hasBuffer = state.TryGetValue("momentum_buffer", out var buffer);
        if (!hasBuffer && _options.Momentum != 0) state["momentum_buffer"] = buffer = StateTensor(parameter);
        Tensor.Check(Native.lq_sgd_step(parameter.H(), gradient.H(), buffer?.H() ?? Tensor.TensorHandleNull, hasBuffer ? 1 : 0,
            group.LearningRate, _options.Momentum, _options.Dampening, group.WeightDecay, _options.Nesterov ? 1 : 0), "Sgd.Step");
    }
}
