using Liquid.Runtime.Nn.OdeSolvers;

namespace Liquid.Runtime.Nn;

/// <summary>Options of <see cref="OdeEmbedding"/> (SEED-MODELS §4's values by default).</summary>
/// <param name="InputSize">Features C of the input.</param>
/// <param name="Hidden">Features H of the embedding.</param>
/// <param name="Dropout">Dropout on e₀ while training.</param>
/// <param name="Decay">The field's decay rate.</param>
/// <param name="Adaptive">How much the decay grows with ‖e‖.</param>
/// <param name="Solver">Integration method over [0, 1].</param>
/// <param name="Rtol">dopri5's relative tolerance.</param>
/// <param name="Atol">dopri5's absolute tolerance.</param>
/// <param name="StepSize">A fixed-grid solver's step (null: one step over [0, 1]).</param>
public sealed record OdeEmbeddingOptions(long InputSize, long Hidden, double Dropout = 0.1, double Decay = 0.1, double Adaptive = 0.01,
    OdeMethod Solver = OdeMethod.Dopri5, double Rtol = 1e-3, double Atol = 1e-3, double? StepSize = null);

/// <summary>
/// An embedding that flows: e₀ = dropout(LN(Linear(x))) is integrated for one unit of time through
/// de/dt = LN(−decay·(1 + adaptive·‖e‖)·e + 0.8·tanh e + 0.2·GELU e + 0.1·e), and the output keeps a
/// tenth of where it started: e(1) + 0.1·e₀ (SEED-MODELS §4; Long/README.md). Position-wise.
/// </summary>
public sealed class OdeEmbedding : Module, IOdeFunction
{
    private readonly Linear _proj;
    private readonly LayerNorm _normIn;
    private readonly LayerNorm _normField;
    private readonly OdeOptions _solve;

    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    public OdeEmbedding(OdeEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputSize < 1 || options.Hidden < 1)
            throw new ArgumentException($"ode_embedding: input and hidden sizes must be at least 1, not {options.InputSize} and {options.Hidden}", nameof(options));
        if (options.Dropout is < 0 or >= 1 || double.IsNaN(options.Dropout))
            throw new ArgumentException($"ode_embedding: dropout must be in [0, 1), not {options.Dropout}", nameof(options));
        Options = options;
        _solve = new OdeOptions { Method = options.Solver, Rtol = options.Rtol, Atol = options.Atol, StepSize = options.StepSize };
        try
        {
            _solve.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"ode_embedding: {e.Message}", nameof(options), e);
        }
        _proj = RegisterModule("proj", new Linear(new LinearOptions(options.InputSize, options.Hidden)));
        _normIn = RegisterModule("norm_in", new LayerNorm(new LayerNormOptions(options.Hidden)));
        _normField = RegisterModule("norm_field", new LayerNorm(new LayerNormOptions(options.Hidden)));
    }

    /// <summary>The options this layer was built with.</summary>
    public OdeEmbeddingOptions Options { get; }

    /// <summary>Field evaluations of the last forward solve.</summary>
    public long LastEvaluations { get; private set; }

    /// <summary>x […, C] → […, H]; reports the solve's field evaluations as <c>PATH.nfe</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context = null)
    {
        ExpectShape(x.Rank >= 1 && x.Size(-1) == Options.InputSize, $"[…, {Options.InputSize}]", x);
        using var scope = TensorScope.Enter();
        var e0 = Functional.Dropout(_normIn.Forward(_proj.Forward(x)), Options.Dropout, Training && Options.Dropout > 0);
        using var span = Tensor.From([0.0, 1.0]).To(e0.DType);
        var solution = Ode.Solve(this, e0, span, _solve);
        LastEvaluations = solution.Stats.Nfe;
        context?.Report(Path.Length == 0 ? "nfe" : $"{Path}.nfe", Tensor.Scalar((double)solution.Stats.Nfe));
        return scope.Keep(solution.Final() + e0 * 0.1);
    }

    /// <summary>de/dt at e (the field does not depend on t).</summary>
    public Tensor Evaluate(Tensor t, Tensor e)
    {
        var norm = e.Norm(2, -1, keepDim: true);
        var drift = -Options.Decay * (norm * Options.Adaptive + 1.0) * e + 0.8 * e.Tanh() + 0.2 * e.Gelu() + 0.1 * e;
        return _normField.Forward(drift);
    }

    /// <summary>The adjoint is not offered; the field reads only norm_field.</summary>
    IEnumerable<Tensor> IOdeFunction.AdjointParameters() => _normField.Parameters();

    /// <summary>The projection's FLOPs; the solve's evaluations are known only at run time (<c>PATH.nfe</c>).</summary>
    public override long FlopsPerPosition(long context) => _proj.FlopsPerPosition(context);
}
