namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="LiquidNeuron"/>.</summary>
/// <param name="InputSize">Features C of the input per position.</param>
/// <param name="Units">Neurons H.</param>
/// <param name="Adaptive">Modulate the synapses by (1 + a) and τ by σ(a), a from an MLP of h.</param>
/// <param name="AdaptiveHidden">Width of the modulation MLP (null: H).</param>
/// <param name="Dropout">Dropout on the modulation a while training.</param>
/// <param name="Dt">Time per position: the Euler step of the sequence layer, the integration span of a time cell.</param>
public sealed record LiquidNeuronOptions(long InputSize, long Units, bool Adaptive = false, long? AdaptiveHidden = null,
    double Dropout = 0, double Dt = 1);

/// <summary>The state a liquid neuron or time cell carries between calls: the potentials H [B, H].</summary>
public sealed record LiquidCellState(Tensor H) : IDisposable
{
    /// <summary>Disposes the tensor.</summary>
    public void Dispose() => H.Dispose();
}

/// <summary>A liquid neuron field's terms that do not depend on the state (<see cref="LiquidNeuron.Terms"/>).</summary>
/// <param name="NegDecay">−decay [H].</param>
/// <param name="Tau">τ = exp(log τ) [H].</param>
/// <param name="Bias">The synapses' bias b [H] for the adaptive neuron; null for the plain one, whose drive holds it.</param>
public sealed record NeuronTerms(Tensor NegDecay, Tensor Tau, Tensor? Bias);

/// <summary>The outputs of a liquid neuron or time cell over a sequence: every state [B, T, H] and the last [B, H].</summary>
public readonly record struct LiquidCellOutput(Tensor Output, Tensor H);

/// <summary>
/// Liquid neurons (SEED-MODELS §4; Long/README.md): dh/dt = LN((−decay ⊙ h + W x + b) / τ), or, adaptive,
/// with the synapses scaled by (1 + a) and τ by σ(a), a = tanh(MLP(h)). As a layer over a sequence it
/// takes one Euler step of <c>dt</c> per position; <see cref="LiquidTimeCell"/> integrates the same field.
/// </summary>
public sealed class LiquidNeuron : Module
{
    private readonly Linear _input;
    private readonly LayerNorm _norm;
    private readonly Linear? _modulation1;
    private readonly Linear? _modulation2;

    /// <summary>Creates the neuron: decay 1 and τ 1 (log τ 0), PyTorch's default Linear initialization.</summary>
    public LiquidNeuron(LiquidNeuronOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputSize < 1 || options.Units < 1)
            throw new ArgumentException($"liquid_neuron: input size and units must be at least 1, not {options.InputSize} and {options.Units}", nameof(options));
        if (options.AdaptiveHidden is < 1) throw new ArgumentException($"liquid_neuron: adaptive_hidden must be at least 1, not {options.AdaptiveHidden}", nameof(options));
        if (options.Dropout is < 0 or >= 1 || double.IsNaN(options.Dropout)) throw new ArgumentException($"liquid_neuron: dropout must be in [0, 1), not {options.Dropout}", nameof(options));
        if (!(options.Dt > 0) || double.IsInfinity(options.Dt)) throw new ArgumentException($"liquid_neuron: dt must be positive and finite, not {options.Dt}", nameof(options));
        Options = options;
        _input = RegisterModule("input", new Linear(new LinearOptions(options.InputSize, options.Units)));
        Decay = RegisterParameter("decay", Tensor.Ones([options.Units]));
        LogTau = RegisterParameter("log_tau", Tensor.Zeros([options.Units]));
        _norm = RegisterModule("norm", new LayerNorm(new LayerNormOptions(options.Units)));
        if (options.Adaptive)
        {
            var hidden = options.AdaptiveHidden ?? options.Units;
            var modulation = RegisterModule("modulation", new ModulationNet());
            _modulation1 = modulation.Add("fc1", new Linear(new LinearOptions(options.Units, hidden)));
            _modulation2 = modulation.Add("fc2", new Linear(new LinearOptions(hidden, options.Units)));
        }
    }

    /// <summary>The options this neuron was built with.</summary>
    public LiquidNeuronOptions Options { get; }

    /// <summary>decay [H].</summary>
    public Tensor Decay { get; }

    /// <summary>log τ [H].</summary>
    public Tensor LogTau { get; }

    /// <summary>
    /// The field's state-independent terms, computed once per call rather than at every evaluation:
    /// −decay, τ = exp(log τ) and, adaptive, the bias b (the plain neuron's is in the drive).
    /// </summary>
    public NeuronTerms Terms() => new(-Decay, LogTau.Exp(), _modulation1 is null ? null : _input.Bias);

    /// <summary>
    /// The tensors <see cref="Field"/> reads besides the state and the drive, as the adjoint must
    /// differentiate them: the terms (whose graphs lead back to decay, log τ and b), the norm, the modulation.
    /// </summary>
    public IEnumerable<Tensor> FieldTensors(NeuronTerms terms)
    {
        yield return terms.NegDecay;
        yield return terms.Tau;
        if (terms.Bias is { } bias) yield return bias;
        foreach (var parameter in _norm.Parameters()) yield return parameter;
        if (_modulation1 is null) yield break;
        foreach (var parameter in _modulation1.Parameters().Concat(_modulation2!.Parameters())) yield return parameter;
    }

    /// <summary>
    /// The synaptic drive of inputs x [.., C], computed once per sequence: W x + b for the plain neuron,
    /// W x for the adaptive one (its modulation scales W x alone; b enters in <see cref="Field"/>).
    /// </summary>
    public Tensor Drive(Tensor x)
    {
        ExpectShape(x.Rank >= 1 && x.Size(-1) == Options.InputSize, $"[…, {Options.InputSize}]", x);
        return _modulation1 is null ? Functional.Linear(x, _input.Weight, _input.Bias) : Functional.Linear(x, _input.Weight);
    }

    /// <summary>dh/dt for the state h [B, H] under the drive [B, H] from <see cref="Drive"/>, with this call's <see cref="Terms"/>.</summary>
    public Tensor Field(Tensor h, Tensor drive, NeuronTerms terms)
    {
        using var scope = TensorScope.Enter();
        Tensor pre;
        if (_modulation1 is null)
        {
            pre = (terms.NegDecay * h + drive) / terms.Tau;
        }
        else
        {
            var a = _modulation2!.Forward(_modulation1.Forward(h).Tanh()).Tanh();
            a = Functional.Dropout(a, Options.Dropout, Training && Options.Dropout > 0);
            pre = (terms.NegDecay * h + (a + 1.0) * drive + terms.Bias!) / (terms.Tau * a.Sigmoid());
        }
        return scope.Keep(_norm.Forward(pre));
    }

    /// <summary>
    /// One Euler step of <c>dt</c> per position of x [B, T, C] from <paramref name="initial"/> (null: the
    /// state the context carries for this layer, else zeros); the last state is carried on, detached.
    /// </summary>
    public LiquidCellOutput Forward(Tensor x, Tensor? initial = null, ForwardContext? context = null)
    {
        ExpectShape(x.Rank == 3 && x.Size(-1) == Options.InputSize, $"[B, T, {Options.InputSize}]", x);
        var h0 = initial ?? context?.State?.Get<LiquidCellState>(this)?.H;
        using var scope = TensorScope.Enter();
        var h = LiquidCells.Start(this, h0, x, Options.Units);
        var drive = Drive(x);
        var terms = Terms();
        var states = new Tensor[x.Size(1)];
        for (var t = 0; t < states.Length; t++)
            h = states[t] = h + Field(h, drive.Select(1, t), terms) * Options.Dt;
        var output = new LiquidCellOutput(scope.Keep(LiquidCells.Stack(states, x, Options.Units)), scope.Keep(h));
        LiquidCells.Carry(this, context, output.H);
        return output;
    }

    /// <summary>A compiled model's call: the starting state from <paramref name="context"/>.</summary>
    public LiquidCellOutput Forward(Tensor x, ForwardContext? context) => Forward(x, null, context);

    /// <inheritdoc/>
    public override long FlopsPerPosition(long context)
    {
        var h = Options.Units;
        var modulation = Options.Adaptive ? 4 * h * (Options.AdaptiveHidden ?? h) : 0;
        return 2 * Options.InputSize * h + modulation + 12 * h;
    }

    /// <summary>The modulation MLP's container (keys <c>modulation.fc1</c>, <c>modulation.fc2</c>).</summary>
    private sealed class ModulationNet : Module
    {
        public Linear Add(string name, Linear layer) => RegisterModule(name, layer);
    }
}

/// <summary>What the liquid cells share: the starting state, the stacked output, the carried state.</summary>
internal static class LiquidCells
{
    /// <summary>The given state (aliased), checked against x's batch, or zeros.</summary>
    public static Tensor Start(Module layer, Tensor? h0, Tensor x, long units)
    {
        if (h0 is null) return Tensor.Zeros([x.Size(0), units], x.DType, x.Device);
        if (h0.Rank != 2 || h0.Size(0) != x.Size(0) || h0.Size(1) != units)
            throw new ShapeException(layer.Path.Length == 0 ? layer.Kind : $"{layer.Path} ({layer.Kind})", $"state h [{x.Size(0)}, {units}]", h0.Shape);
        // An alias in the caller's scope: the carried state that h0 may be is freed when the next one is kept.
        return h0.Alias();
    }

    /// <summary>The states stacked as [B, T, H] (an empty sequence gives [B, 0, H]).</summary>
    public static Tensor Stack(Tensor[] states, Tensor x, long units) =>
        states.Length == 0 ? Tensor.Zeros([x.Size(0), 0, units], x.DType, x.Device) : Tensor.Stack(states, 1);

    /// <summary>Keeps a detached copy of h in the context's model state for the next call.</summary>
    public static void Carry(Module layer, ForwardContext? context, Tensor h)
    {
        if (context?.State is not { } state) return;
        var kept = h.Detach();
        kept.Scope?.Detach(kept);
        state.Set(layer, new LiquidCellState(kept));
    }
}
