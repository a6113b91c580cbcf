using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Runtime.Nn;

/// <summary>What <see cref="NeuralOde"/> returns.</summary>
public enum NeuralOdeOutput
{
    /// <summary>The state at the last time, [*y0.shape].</summary>
    Final,
    /// <summary>The state at every time, [len(t), *y0.shape] (the first entry is y0).</summary>
    Trajectory,
}

/// <summary>Options of <see cref="NeuralOde"/>; solver options follow torchdiffeq's names and defaults.</summary>
/// <param name="Solver">Integration method (torchdiffeq's <c>method</c>; dopri5 by default).</param>
/// <param name="Rtol">Relative tolerance of dopri5 (torchdiffeq's default 1e-7).</param>
/// <param name="Atol">Absolute tolerance of dopri5 (torchdiffeq's default 1e-9).</param>
/// <param name="StepSize">Step of the fixed-grid solvers; null integrates on the output times themselves.</param>
/// <param name="T0">Start of the fixed time span, used when Forward gets no times.</param>
/// <param name="T1">End of the fixed time span (below <paramref name="T0"/> integrates backwards).</param>
/// <param name="Times">
/// Fixed output times instead of [T0, T1] (strictly monotone, at least two), used when Forward gets
/// no times: with <see cref="NeuralOdeOutput.Trajectory"/> the states at these times are returned.
/// </param>
/// <param name="Adjoint">Gradients by the adjoint method (memory independent of the steps) instead of backpropagation through the steps.</param>
/// <param name="Output">Return the final state or the trajectory.</param>
/// <param name="MaxNumSteps">dopri5's limit on steps between two output times (torchdiffeq's default 2³¹ − 1).</param>
/// <param name="AdjointNorm">Error norm of the adjoint's reverse solves (torchdiffeq's default, or the seminorm).</param>
/// <param name="Points">Output times evenly spaced over [T0, T1] (at least two), instead of the span's two ends or <paramref name="Times"/>.</param>
/// <param name="BatchFirst">Return a trajectory as [B, len(t), …] (the batch first, as data sets store it) instead of torchdiffeq's [len(t), B, …].</param>
public sealed record NeuralOdeOptions(
    OdeMethod Solver = OdeMethod.Dopri5,
    double Rtol = 1e-7,
    double Atol = 1e-9,
    double? StepSize = null,
    double T0 = 0,
    double T1 = 1,
    IReadOnlyList<double>? Times = null,
    bool Adjoint = false,
    NeuralOdeOutput Output = NeuralOdeOutput.Final,
    long MaxNumSteps = int.MaxValue,
    OdeAdjointNorm AdjointNorm = OdeAdjointNorm.Mixed,
    long? Points = null,
    bool BatchFirst = false);

/// <summary>
/// A neural ODE (Chen et al., "Neural Ordinary Differential Equations", 2018): dy/dt = field(t, y)
/// integrated from the input y0 over a time span, by <see cref="Ode.Solve"/> with torchdiffeq's
/// <c>odeint</c> / <c>odeint_adjoint</c> semantics. The vector field is a submodule registered as
/// <c>field</c> (its parameters are <c>field.*</c> in the state dict), evaluated once per solver
/// stage; it may read t.
/// </summary>
/// <remarks>
/// Times are shared by the batch (as in torchdiffeq); the span tensor is made in y0's dtype, so the
/// fixed-grid solvers step in that dtype, as <c>odeint(f, y0, t.to(y0))</c> does. Each forward
/// call reports its number of field evaluations as <c>PATH.nfe</c> through the context.
/// </remarks>
public sealed class NeuralOde : Module
{
    private readonly IOdeFunction _field;
    private readonly OdeOptions _solve;

    /// <summary>Creates the layer around <paramref name="field"/>, a <see cref="Module"/> implementing <see cref="IOdeFunction"/>.</summary>
    public NeuralOde(NeuralOdeOptions options, IOdeFunction field)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(field);
        if (field is not Module module)
            throw new ArgumentException($"NeuralOde: the vector field must be a Module (got {field.GetType().Name}), so its parameters are registered", nameof(field));
        if (!double.IsFinite(options.T0) || !double.IsFinite(options.T1) || options.T0 == options.T1)
            throw new ArgumentException($"NeuralOde: the time span [{options.T0}, {options.T1}] must be finite and non-empty", nameof(options));
        if (options.Points is { } points && (points < 2 || options.Times is not null))
            throw new ArgumentException($"NeuralOde: Points must be at least 2 and not given with Times, got {points}", nameof(options));
        if (options.Times is { } times)
        {
            if (times.Count < 2) throw new ArgumentException("NeuralOde: Times needs at least two values", nameof(options));
            var decreasing = times[1] < times[0];
            for (var k = 1; k < times.Count; k++)
                if (!double.IsFinite(times[k]) || !double.IsFinite(times[k - 1]) || (decreasing ? times[k] >= times[k - 1] : times[k] <= times[k - 1]))
                    throw new ArgumentException($"NeuralOde: Times must be finite and strictly monotone, but Times[{k - 1}] = {times[k - 1]} and Times[{k}] = {times[k]}", nameof(options));
        }
        Options = options;
        _solve = new OdeOptions
        {
            Method = options.Solver,
            Rtol = options.Rtol,
            Atol = options.Atol,
            StepSize = options.StepSize,
            Adjoint = options.Adjoint,
            MaxNumSteps = options.MaxNumSteps,
            AdjointNorm = options.AdjointNorm,
        };
        try
        {
            _solve.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"NeuralOde: {e.Message}", nameof(options), e);
        }
        if (!Enum.IsDefined(options.Output)) throw new ArgumentException($"NeuralOde: unknown output {options.Output}", nameof(options));
        _field = field;
        RegisterModule("field", module);
    }

    /// <summary>The options this layer was built with.</summary>
    public NeuralOdeOptions Options { get; }

    /// <summary>The vector field (registered as <c>field</c>).</summary>
    public IOdeFunction Field => _field;

    /// <summary>Statistics of the last forward solve (zero before the first).</summary>
    public OdeStats LastStats { get; private set; }

    /// <summary>
    /// Integrates from <paramref name="y0"/> (float32 or float64, any shape, e.g. [B, D]) over
    /// <paramref name="times"/> (one-dimensional, strictly monotone) or, when null, over the fixed
    /// span; returns the final state [*y0.shape] or the trajectory [len(t), *y0.shape].
    /// </summary>
    public Tensor Forward(Tensor y0, Tensor? times = null, ForwardContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(y0);
        using var scope = TensorScope.Enter();
        var t = times ?? (Options.Points is { } points ? Tensor.Linspace(Options.T0, Options.T1, points, y0.DType)
            : Tensor.From(Options.Times?.ToArray() ?? [Options.T0, Options.T1]).To(y0.DType));
        OdeSolution solution;
        try
        {
            solution = Ode.Solve(_field, y0, t, _solve);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe()}: {e.Message}", e.ParamName, e);
        }
        LastStats = solution.Stats;
        context?.Report(Path.Length == 0 ? "nfe" : $"{Path}.nfe", Tensor.Scalar((double)solution.Stats.Nfe));
        var output = Options.Output == NeuralOdeOutput.Final ? solution.Final()
            : Options.BatchFirst && y0.Rank >= 1 ? solution.Trajectory.Transpose(0, 1) : solution.Trajectory;
        return scope.Keep(output);
    }

    /// <summary>
    /// 0: the solver's own arithmetic is a few operations per state element and field evaluation,
    /// and the number of evaluations is known only at run time (reported as <c>PATH.nfe</c>); the
    /// field's FLOPs are its own, per evaluation.
    /// </summary>
    public override long FlopsPerPosition(long context) => 0;
}
