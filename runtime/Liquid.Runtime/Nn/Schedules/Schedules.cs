namespace Liquid.Runtime.Nn;

/// <summary>
/// A learning rate as a pure function of the step: <c>LearningRate(t)</c> is the rate for optimizer
/// step t (0-based), the value PyTorch's scheduler holds after t calls to <c>scheduler.step()</c>.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/>.</summary>
    double LearningRate(long step);
}

/// <summary>The same rate at every step.</summary>
public sealed record ConstantSchedule(double Rate) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step) => Rate;
}

/// <summary>
/// Linear ramp from StartFactor·Rate to Rate over Steps steps, then Rate
/// (<c>torch.optim.lr_scheduler.LinearLR(start_factor, 1.0, total_iters=Steps)</c>).
/// </summary>
public sealed record LinearWarmupSchedule(double Rate, long Steps, double StartFactor) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step) =>
        Steps <= 0 ? Rate : Rate * (StartFactor + (1 - StartFactor) * Math.Min(step, Steps) / Steps);
}

/// <summary>
/// Half a cosine from Rate down to MinRate over Steps steps (<c>CosineAnnealingLR(T_max=Steps, eta_min)</c>,
/// closed form); MinRate afterwards.
/// </summary>
public sealed record CosineSchedule(double Rate, double MinRate, long Steps) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step) =>
        step >= Steps ? MinRate : MinRate + (Rate - MinRate) * (1 + Math.Cos(Math.PI * step / Steps)) / 2;
}

/// <summary>
/// Linear warmup for Warmup steps, then cosine decay to MinRate at TotalSteps: the usual LLM recipe
/// (<c>SequentialLR([LinearLR(start_factor), CosineAnnealingLR(T_max=TotalSteps−Warmup, eta_min)], milestones=[Warmup])</c>).
/// </summary>
public sealed record WarmupCosineSchedule(double Rate, double MinRate, long Warmup, long TotalSteps, double StartFactor) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step) => step < Warmup
        ? new LinearWarmupSchedule(Rate, Warmup, StartFactor).LearningRate(step)
        : new CosineSchedule(Rate, MinRate, TotalSteps - Warmup).LearningRate(step - Warmup);
}

/// <summary>
/// Cosine annealing with warm restarts (SGDR): the first cycle lasts T0 steps, each next one Tmult
/// times longer (<c>CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)</c>).
/// </summary>
public sealed record CosineWarmRestartsSchedule(double Rate, double MinRate, long T0, long TMult = 1) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step)
    {
        if (T0 < 1 || TMult < 1) throw new InvalidOperationException("T0 and TMult must be at least 1");
        long cycle = T0, position = step;
        while (position >= cycle)
        {
            position -= cycle;
            cycle *= TMult;
        }
        return MinRate + (Rate - MinRate) * (1 + Math.Cos(Math.PI * position / cycle)) / 2;
    }
}

/// <summary>Multiplies the rate by Gamma every StepSize steps (<c>StepLR(step_size, gamma)</c>).</summary>
public sealed record StepSchedule(double Rate, long StepSize, double Gamma = 0.1) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(long step) => Rate * Math.Pow(Gamma, step / StepSize);
}

/// <summary>
/// Lowers the rate by Factor when a metric stops improving for Patience evaluations
/// (<c>ReduceLROnPlateau(mode="min", factor, patience, threshold, threshold_mode="rel", cooldown, min_lr)</c>).
/// Stateful: feed it each validation value with <see cref="Observe"/>.
/// </summary>
public sealed class ReduceOnPlateauSchedule(double rate, double factor = 0.1, int patience = 10, double minRate = 0,
    int cooldown = 0, double threshold = 1e-4, double eps = 1e-8)
{
    private double _best = double.PositiveInfinity;
    private int _badEpochs;
    private int _cooldownLeft;

    /// <summary>The current rate.</summary>
    public double Rate { get; private set; } = rate;

    /// <summary>Records a metric (lower is better) and returns the rate to use from now on.</summary>
    public double Observe(double metric)
    {
        if (metric < _best * (1 - threshold))
        {
            _best = metric;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }
        if (_badEpochs > patience)
        {
            var reduced = Math.Max(Rate * factor, minRate);
            // PyTorch ignores reductions smaller than eps.
            if (Rate - reduced > eps) Rate = reduced;
            _cooldownLeft = cooldown;
            _badEpochs = 0;
        }
        return Rate;
    }
}
