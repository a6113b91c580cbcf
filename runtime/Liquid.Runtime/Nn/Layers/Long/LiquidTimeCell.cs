using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="LiquidTimeCell"/>.</summary>
/// <param name="Neuron">The neuron whose field the cell integrates (its <c>Dt</c> is the span per position).</param>
/// <param name="Solver">Integration method over [0, dt].</param>
/// <param name="StepSize">A fixed-grid solver's step (null: one step of dt).</param>
/// <param name="Rtol">dopri5's relative tolerance.</param>
/// <param name="Atol">dopri5's absolute tolerance.</param>
/// <param name="Adjoint">Gradients of each position's solve by the adjoint method.</param>
public sealed record LiquidTimeCellOptions(LiquidNeuronOptions Neuron, OdeMethod Solver = OdeMethod.Rk4, double? StepSize = null,
    double Rtol = 1e-3, double Atol = 1e-3, bool Adjoint = false);

/// <summary>
/// A liquid time cell (SEED-MODELS §4; Long/README.md): at each position the neuron ODE is integrated
/// over dt from the previous state, ĥ = odeint(f(·, x_t), h, [0, dt]), and a learnable stability gate
/// takes part of the move: h ← h + σ(g) ⊙ (ĥ − h). The neuron is <c>neuron</c>, the gate <c>gate</c> [H].
/// </summary>
public sealed class LiquidTimeCell : Module
{
    private readonly OdeOptions _solve;

    /// <summary>Creates the cell with the gate at 0 (σ = ½).</summary>
    public LiquidTimeCell(LiquidTimeCellOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _solve = new OdeOptions { Method = options.Solver, StepSize = options.StepSize, Rtol = options.Rtol, Atol = options.Atol, Adjoint = options.Adjoint };
        try
        {
            _solve.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"liquid_time_cell: {e.Message}", nameof(options), e);
        }
        Neuron = RegisterModule("neuron", new LiquidNeuron(options.Neuron));
        Gate = RegisterParameter("gate", Tensor.Zeros([options.Neuron.Units]));
    }

    /// <summary>The options this cell was built with.</summary>
    public LiquidTimeCellOptions Options { get; }

    /// <summary>The neuron (<c>neuron</c>).</summary>
    public LiquidNeuron Neuron { get; }

    /// <summary>The stability gate g [H].</summary>
    public Tensor Gate { get; }

    /// <summary>Neurons H.</summary>
    public long Units => Options.Neuron.Units;

    /// <summary>What one call computes once for all its positions: the neuron's terms, σ(g) and the time span.</summary>
    public sealed record CallTerms(NeuronTerms Neuron, Tensor Gate, Tensor Span);

    /// <summary>This call's <see cref="CallTerms"/>, in <paramref name="like"/>'s dtype (made in the caller's scope).</summary>
    public CallTerms Terms(Tensor like) => new(Neuron.Terms(), Gate.Sigmoid(), Tensor.From([0.0, Options.Neuron.Dt]).To(like.DType));

    /// <summary>One position: the state h [B, H] moved under the drive [B, H] (from <see cref="LiquidNeuron.Drive"/>).</summary>
    public Tensor Step(Tensor h, Tensor drive, CallTerms terms)
    {
        using var scope = TensorScope.Enter();
        var field = new DrivenField(Neuron, drive, terms.Neuron);
        var solution = Ode.Solve(field, h, terms.Span, _solve, Options.Adjoint ? field.AdjointParameters() : null);
        return scope.Keep(h + terms.Gate * (solution.Final() - h));
    }

    /// <summary>
    /// Runs x [B, T, C] from <paramref name="initial"/> (null: the state the context carries for this
    /// layer, else zeros); the last state is carried on, detached.
    /// </summary>
    public LiquidCellOutput Forward(Tensor x, Tensor? initial = null, ForwardContext? context = null)
    {
        if (x.Rank != 3 || x.Size(-1) != Options.Neuron.InputSize)
            throw new ShapeException(Path.Length == 0 ? Kind : $"{Path} ({Kind})", $"[B, T, {Options.Neuron.InputSize}]", x.Shape);
        var h0 = initial ?? context?.State?.Get<LiquidCellState>(this)?.H;
        using var scope = TensorScope.Enter();
        var h = LiquidCells.Start(this, h0, x, Units);
        var drive = Neuron.Drive(x);
        var terms = Terms(x);
        var states = new Tensor[x.Size(1)];
        for (var t = 0; t < states.Length; t++) h = states[t] = Step(h, drive.Select(1, t), terms);
        var output = new LiquidCellOutput(scope.Keep(LiquidCells.Stack(states, x, Units)), scope.Keep(h));
        LiquidCells.Carry(this, context, output.H);
        return output;
    }

    /// <summary>A compiled model's call: the starting state from <paramref name="context"/>.</summary>
    public LiquidCellOutput Forward(Tensor x, ForwardContext? context) => Forward(x, null, context);

    /// <summary>The neuron's FLOPs per field evaluation times the evaluations of one fixed-grid solve (rk4: 4 per step).</summary>
    public override long FlopsPerPosition(long context)
    {
        var stages = Options.Solver switch { OdeMethod.Euler => 1, OdeMethod.Midpoint => 2, OdeMethod.Rk4 => 4, _ => 6 };
        var steps = Options.StepSize is { } step ? (long)Math.Ceiling(Options.Neuron.Dt / step) : 1;
        var perEvaluation = Neuron.FlopsPerPosition(context) - 2 * Options.Neuron.InputSize * Units;
        return 2 * Options.Neuron.InputSize * Units + stages * steps * perEvaluation;
    }

    /// <summary>
    /// The neuron's field under one position's drive, as the solver sees it. It holds a handle of its
    /// own to the drive: the adjoint evaluates the field again in the backward pass, after the forward
    /// pass's scope has freed its tensors; the solver releases the field when it is done with it.
    /// </summary>
    private sealed class DrivenField : IOdeFunction, IReleasedWithSolve
    {
        private readonly LiquidNeuron _neuron;
        private readonly Tensor _drive;
        private readonly NeuronTerms _terms;

        public DrivenField(LiquidNeuron neuron, Tensor drive, NeuronTerms terms)
        {
            _neuron = neuron;
            _drive = Own(drive);
            _terms = new NeuronTerms(Own(terms.NegDecay), Own(terms.Tau), terms.Bias is null ? null : Own(terms.Bias));
        }

        public Tensor Evaluate(Tensor t, Tensor y) => _neuron.Field(y, _drive, _terms);

        // The drive and the terms depend on the input and the parameters: the adjoint differentiates them like parameters.
        public IEnumerable<Tensor> AdjointParameters() => _neuron.FieldTensors(_terms).Append(_drive);

        public void Release()
        {
            _drive.Dispose();
            _terms.NegDecay.Dispose();
            _terms.Tau.Dispose();
            _terms.Bias?.Dispose();
        }

        private static Tensor Own(Tensor tensor)
        {
            var alias = tensor.Alias();
            alias.Scope?.Detach(alias);
            return alias;
        }
    }
}
