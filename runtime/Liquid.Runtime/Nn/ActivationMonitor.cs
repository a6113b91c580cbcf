using System.Runtime.CompilerServices;

namespace Liquid.Runtime.Nn;

/// <summary>Statistics of one module's output in one forward call.</summary>
/// <param name="Step">The training step the monitor was watching.</param>
/// <param name="Module">The module's path (<c>blocks.0.attn.qkv</c>; <c>(root)</c> for the model itself).</param>
/// <param name="Kind">The module's class (<c>Linear</c>, <c>Conv1d</c>, <c>DiffAttention</c> …).</param>
/// <param name="Shape">The output's shape.</param>
/// <param name="Mean">Mean of the finite elements.</param>
/// <param name="Std">Population standard deviation of the finite elements (<c>torch.std(unbiased=False)</c>).</param>
/// <param name="MaxAbs">Largest |x| of the finite elements.</param>
/// <param name="NonFinite">Elements that are NaN or ±∞.</param>
public sealed record ActivationStats(long Step, string Module, string Kind, long[] Shape, double Mean, double Std, double MaxAbs, long NonFinite);

/// <summary>The gradient of one parameter after a backward pass.</summary>
/// <param name="Step">The training step.</param>
/// <param name="Parameter">The parameter's state-dict key.</param>
/// <param name="Norm">L2 norm of the finite elements of the gradient.</param>
/// <param name="NonFinite">Elements of the gradient that are NaN or ±∞.</param>
public sealed record GradientStats(long Step, string Parameter, double Norm, long NonFinite);

/// <summary>The first non-finite value the monitor saw: where, when, and in what.</summary>
/// <param name="Step">The training step.</param>
/// <param name="Path">The module path (activations) or parameter key (gradients).</param>
/// <param name="What"><c>activation</c> or <c>gradient</c>.</param>
/// <param name="Count">Non-finite elements in that tensor.</param>
public sealed record NonFiniteValue(long Step, string Path, string What, long Count);

/// <summary>
/// Observes training numerically: the output statistics (mean, std, max |x|) of every Linear,
/// LmHead, Conv1d, DeformableConv1d, Attention and DiffAttention in the forward passes it watches, the
/// gradient norm of every parameter after backward (<see cref="RecordGradients"/>), and the first
/// non-finite value with its module path and step.
/// </summary>
/// <remarks>
/// <para>Those modules end their Forward with <see cref="Observe"/>, which reads a thread-static
/// field and returns: with no monitor watching, it costs one read and one comparison and allocates
/// nothing. <see cref="Watch"/> makes a monitor current on the calling thread until the returned scope
/// is disposed (the trainer watches every N-th step). Statistics are computed in float64 under no-grad
/// on a detached view, so they neither change the graph nor the values.</para>
/// <para>Records accumulate until <see cref="TakeRecords"/>; <see cref="FirstNonFinite"/> keeps the
/// first non-finite value for the monitor's lifetime.</para>
/// </remarks>
public sealed class ActivationMonitor
{
    [ThreadStatic] private static ActivationMonitor? t_current;

    private readonly List<ActivationStats> _activations = new();
    private readonly List<GradientStats> _gradients = new();

    /// <summary>The monitor watching on this thread, or null.</summary>
    public static ActivationMonitor? Current => t_current;

    /// <summary>The step being watched (set by <see cref="Watch"/>).</summary>
    public long Step { get; private set; }

    /// <summary>The first non-finite activation or gradient seen, or null.</summary>
    public NonFiniteValue? FirstNonFinite { get; private set; }

    /// <summary>Activation records since the last <see cref="TakeRecords"/>.</summary>
    public IReadOnlyList<ActivationStats> Activations => _activations;

    /// <summary>Gradient records since the last <see cref="TakeRecords"/>.</summary>
    public IReadOnlyList<GradientStats> Gradients => _gradients;

    /// <summary>Makes this monitor current on this thread for step <paramref name="step"/>, until the scope is disposed.</summary>
    public WatchScope Watch(long step)
    {
        Step = step;
        var previous = t_current;
        t_current = this;
        return new WatchScope(previous);
    }

    /// <summary>Restores the monitor that was current before <see cref="Watch"/>.</summary>
    public readonly struct WatchScope(ActivationMonitor? previous) : IDisposable
    {
        /// <summary>Stops watching.</summary>
        public void Dispose() => t_current = previous;
    }

    /// <summary>
    /// Called by monitored modules with their output: records it when a monitor is watching on this
    /// thread, and returns <paramref name="output"/> unchanged either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Observe(Module module, Tensor output)
    {
        if (t_current is { } monitor) monitor.Record(module, output);
        return output;
    }

    /// <summary>Records the statistics of <paramref name="output"/> for <paramref name="module"/>.</summary>
    public void Record(Module module, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(output);
        var path = module.Path.Length == 0 ? "(root)" : module.Path;
        var (mean, std, maxAbs, nonFinite) = Statistics(output);
        _activations.Add(new ActivationStats(Step, path, module.Kind, output.Shape, mean, std, maxAbs, nonFinite));
        if (nonFinite > 0) FirstNonFinite ??= new NonFiniteValue(Step, path, "activation", nonFinite);
    }

    /// <summary>Records the gradient norm of every parameter of <paramref name="model"/> that has a gradient (call after backward).</summary>
    public void RecordGradients(Module model, long? step = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var at = step ?? Step;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            using var scope = TensorScope.Enter();
            if (parameter.Grad is not { } grad) continue;
            var (norm, nonFinite) = Norm(grad);
            _gradients.Add(new GradientStats(at, name, norm, nonFinite));
            if (nonFinite > 0) FirstNonFinite ??= new NonFiniteValue(at, name, "gradient", nonFinite);
        }
    }

    /// <summary>Hands the records over and starts afresh (<see cref="FirstNonFinite"/> stays).</summary>
    public (List<ActivationStats> Activations, List<GradientStats> Gradients) TakeRecords()
    {
        var taken = (new List<ActivationStats>(_activations), new List<GradientStats>(_gradients));
        _activations.Clear();
        _gradients.Clear();
        return taken;
    }

    private static (double Mean, double Std, double MaxAbs, long NonFinite) Statistics(Tensor output)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var x = output.Detach().To(DType.Float64);
        var count = x.NumElements;
        if (count == 0) return (0, 0, 0, 0);
        var finite = x.IsFinite();
        var nonFinite = count - finite.Sum().ItemInt64();
        if (nonFinite == count) return (double.NaN, double.NaN, double.NaN, nonFinite);
        if (nonFinite > 0) x = x.MaskedFill(finite.LogicalNot(), 0.0);
        var kept = count - nonFinite;
        var mean = x.Sum().Item() / kept;
        var centered = x.Sub(mean);
        if (nonFinite > 0) centered = centered.MaskedFill(finite.LogicalNot(), 0.0);
        var variance = centered.Square().Sum().Item() / kept;
        return (mean, Math.Sqrt(variance), x.Abs().Max().Item(), nonFinite);
    }

    private static (double Norm, long NonFinite) Norm(Tensor grad)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = Torch.NoGrad();
        var x = grad.To(DType.Float64);
        var finite = x.IsFinite();
        var nonFinite = x.NumElements - finite.Sum().ItemInt64();
        if (nonFinite > 0) x = x.MaskedFill(finite.LogicalNot(), 0.0);
        return (Math.Sqrt(x.Square().Sum().Item()), nonFinite);
    }
}
