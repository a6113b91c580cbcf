namespace Liquid.Runtime.Nn.OdeSolvers;

/// <summary>What one solve cost: evaluations of the vector field and steps taken.</summary>
/// <param name="Nfe">Vector-field evaluations (for dopri5: 2 + 6·(accepted + rejected)).</param>
/// <param name="Accepted">Accepted steps (every fixed-grid step is accepted).</param>
/// <param name="Rejected">Rejected dopri5 steps.</param>
public readonly record struct OdeStats(long Nfe, long Accepted, long Rejected)
{
    /// <summary>The sum of two solves' statistics.</summary>
    public static OdeStats operator +(OdeStats a, OdeStats b) =>
        new(a.Nfe + b.Nfe, a.Accepted + b.Accepted, a.Rejected + b.Rejected);
}

/// <summary>One attempted step, as <see cref="OdeOptions.RecordSteps"/> keeps it.</summary>
/// <param name="T0">Where the step started, in the solver's time (negated when t decreases).</param>
/// <param name="Dt">Its size (after clamping to MinStep and MaxStep).</param>
/// <param name="Accepted">Whether it was accepted.</param>
/// <param name="ErrorRatio">dopri5's error ratio (accepted when ≤ 1); 0 for fixed-grid steps.</param>
public readonly record struct OdeStep(double T0, double Dt, bool Accepted, double ErrorRatio);

/// <summary>
/// The result of <see cref="Ode.Solve"/>: the trajectory and what the solve cost. Disposing it
/// disposes <see cref="Trajectory"/> (which a <see cref="TensorScope"/> open at the call also owns).
/// </summary>
public sealed class OdeSolution : IDisposable
{
    private readonly OdeCallbackContext _context;

    internal OdeSolution(Tensor trajectory, OdeStats stats, IReadOnlyList<OdeStep>? steps, OdeCallbackContext context)
    {
        Trajectory = trajectory;
        Stats = stats;
        Steps = steps;
        _context = context;
    }

    /// <summary>y at every requested time, [len(t), *y0.shape]; Trajectory[0] is y0.</summary>
    public Tensor Trajectory { get; }

    /// <summary>Statistics of the forward solve.</summary>
    public OdeStats Stats { get; }

    /// <summary>Every attempted step, when <see cref="OdeOptions.RecordSteps"/> was set; otherwise null.</summary>
    public IReadOnlyList<OdeStep>? Steps { get; }

    /// <summary>
    /// Statistics of the adjoint's reverse solves, summed over every backward pass so far (zero
    /// before the first, and always for direct backpropagation).
    /// </summary>
    public OdeStats BackwardStats => _context.BackwardStats;

    /// <summary>y at the last requested time, [*y0.shape] (a view of the trajectory).</summary>
    public Tensor Final() => Trajectory.Select(0, Trajectory.Size(0) - 1);

    /// <summary>Disposes the trajectory.</summary>
    public void Dispose() => Trajectory.Dispose();
}

/// <summary>
/// The solver gave up: more than <see cref="OdeOptions.MaxNumSteps"/> steps between two output
/// times, a step size that underflowed (often because the vector field returned NaN or infinity),
/// or a non-finite state.
/// </summary>
public sealed class OdeSolverException(string message) : Exception(message);
