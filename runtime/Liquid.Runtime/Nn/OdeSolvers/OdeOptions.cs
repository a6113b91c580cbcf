namespace Liquid.Runtime.Nn.OdeSolvers;

/// <summary>The integration method (torchdiffeq's <c>method</c>).</summary>
public enum OdeMethod
{
    /// <summary>Explicit Euler on a fixed grid: Δ = dt·f(a, y).</summary>
    Euler,
    /// <summary>The explicit midpoint rule on a fixed grid: Δ = dt·f(a + dt/2, y + dt/2·f(a, y)).</summary>
    Midpoint,
    /// <summary>Kutta's 3/8 rule on a fixed grid (torchdiffeq's <c>"rk4"</c>; not the classic RK4).</summary>
    Rk4,
    /// <summary>Adaptive Dormand–Prince 5(4) with torchdiffeq's tableau, error norm and step control.</summary>
    Dopri5,
}

/// <summary>The error norm of the adjoint's reverse solves.</summary>
public enum OdeAdjointNorm
{
    /// <summary>
    /// torchdiffeq's default: the largest RMS over the state, the adjoint state and each parameter
    /// tensor's adjoint.
    /// </summary>
    Mixed,
    /// <summary>
    /// torchdiffeq's <c>adjoint_options={"norm": "seminorm"}</c>: the parameter part is left out,
    /// which usually takes fewer steps (Kidger et al., "Hey, that's not an ODE", 2021).
    /// </summary>
    Seminorm,
}

/// <summary>
/// Options of <see cref="Ode.Solve"/>, with torchdiffeq 0.2.5's names and defaults
/// (<c>odeint(func, y0, t, rtol=1e-7, atol=1e-9, method="dopri5", options)</c>).
/// </summary>
public sealed record OdeOptions
{
    /// <summary>The method; dopri5 by default.</summary>
    public OdeMethod Method { get; init; } = OdeMethod.Dopri5;

    /// <summary>Relative tolerance of dopri5's error control (ignored by the fixed-grid methods).</summary>
    public double Rtol { get; init; } = 1e-7;

    /// <summary>Absolute tolerance of dopri5's error control (ignored by the fixed-grid methods).</summary>
    public double Atol { get; init; } = 1e-9;

    /// <summary>dopri5's first step size; null selects it (Hairer, Nørsett and Wanner I, §II.4).</summary>
    public double? FirstStep { get; init; }

    /// <summary>dopri5's smallest step size; a step this small is accepted whatever its error.</summary>
    public double MinStep { get; init; }

    /// <summary>dopri5's largest step size.</summary>
    public double MaxStep { get; init; } = double.PositiveInfinity;

    /// <summary>dopri5's safety factor on the optimal step size.</summary>
    public double Safety { get; init; } = 0.9;

    /// <summary>dopri5's largest growth factor of the step size.</summary>
    public double IFactor { get; init; } = 10;

    /// <summary>dopri5's smallest shrink factor of the step size after a rejected step.</summary>
    public double DFactor { get; init; } = 0.2;

    /// <summary>
    /// dopri5's limit on the steps, accepted or rejected, taken to reach one output time from the
    /// previous one; exceeding it throws <see cref="OdeSolverException"/>.
    /// </summary>
    public long MaxNumSteps { get; init; } = int.MaxValue;

    /// <summary>
    /// The fixed-grid methods' step: the grid runs from t[0] in steps of this size, its last point
    /// moved to t[^1], and outputs between grid points are interpolated linearly. Null: the grid is t.
    /// </summary>
    public double? StepSize { get; init; }

    /// <summary>
    /// Gradients by the adjoint method (torchdiffeq's <c>odeint_adjoint</c>): memory independent of
    /// the number of steps, at the cost of reverse solves; false backpropagates through the steps.
    /// </summary>
    public bool Adjoint { get; init; }

    /// <summary>The method of the adjoint's reverse solves; null uses <see cref="Method"/>.</summary>
    public OdeMethod? AdjointMethod { get; init; }

    /// <summary>Relative tolerance of the reverse solves; null uses <see cref="Rtol"/>.</summary>
    public double? AdjointRtol { get; init; }

    /// <summary>Absolute tolerance of the reverse solves; null uses <see cref="Atol"/>.</summary>
    public double? AdjointAtol { get; init; }

    /// <summary>Fixed-grid step of the reverse solves (each interval on its own grid); null uses <see cref="StepSize"/>.</summary>
    public double? AdjointStepSize { get; init; }

    /// <summary>The error norm of the reverse solves.</summary>
    public OdeAdjointNorm AdjointNorm { get; init; } = OdeAdjointNorm.Mixed;

    /// <summary>Keep every attempted step in <see cref="OdeSolution.Steps"/> (for tests and diagnostics).</summary>
    public bool RecordSteps { get; init; }

    /// <summary>The defaults (dopri5, rtol 1e-7, atol 1e-9).</summary>
    public static OdeOptions Default { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Check(Enum.IsDefined(Method), nameof(Method), $"unknown method {Method}");
        Check(Rtol >= 0 && !double.IsNaN(Rtol), nameof(Rtol), $"must be >= 0, got {Rtol}");
        Check(Atol >= 0 && !double.IsNaN(Atol), nameof(Atol), $"must be >= 0, got {Atol}");
        Check(FirstStep is null || FirstStep > 0 && double.IsFinite(FirstStep.Value), nameof(FirstStep), $"must be positive and finite, got {FirstStep}");
        Check(MinStep >= 0 && double.IsFinite(MinStep), nameof(MinStep), $"must be >= 0 and finite, got {MinStep}");
        Check(MaxStep >= MinStep, nameof(MaxStep), $"must be >= MinStep ({MinStep}), got {MaxStep}");
        Check(Safety > 0 && double.IsFinite(Safety), nameof(Safety), $"must be positive, got {Safety}");
        Check(IFactor >= 1 && double.IsFinite(IFactor), nameof(IFactor), $"must be >= 1, got {IFactor}");
        Check(DFactor > 0 && DFactor <= 1, nameof(DFactor), $"must be in (0, 1], got {DFactor}");
        Check(MaxNumSteps >= 0, nameof(MaxNumSteps), $"must be >= 0, got {MaxNumSteps}");
        Check(StepSize is null || StepSize > 0 && double.IsFinite(StepSize.Value), nameof(StepSize), $"must be positive and finite, got {StepSize}");
        Check(AdjointMethod is null || Enum.IsDefined(AdjointMethod.Value), nameof(AdjointMethod), $"unknown method {AdjointMethod}");
        Check(AdjointRtol is null || AdjointRtol >= 0, nameof(AdjointRtol), $"must be >= 0, got {AdjointRtol}");
        Check(AdjointAtol is null || AdjointAtol >= 0, nameof(AdjointAtol), $"must be >= 0, got {AdjointAtol}");
        Check(AdjointStepSize is null || AdjointStepSize > 0 && double.IsFinite(AdjointStepSize.Value), nameof(AdjointStepSize), $"must be positive and finite, got {AdjointStepSize}");
        Check(Enum.IsDefined(AdjointNorm), nameof(AdjointNorm), $"unknown norm {AdjointNorm}");
    }

    private static void Check(bool condition, string option, string message)
    {
        if (!condition) throw new ArgumentException($"OdeOptions.{option} {message}", option);
    }
}
