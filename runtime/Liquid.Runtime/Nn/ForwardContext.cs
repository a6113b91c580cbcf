namespace Liquid.Runtime.Nn;

/// <summary>
/// What one forward call of a compiled model hands to the layers that need more than their inputs:
/// whether the model is training, the state carried across calls (KV caches, recurrent states) and a
/// sink for auxiliary losses and per-step measurements. Generated models create one per call.
/// </summary>
/// <remarks>
/// Tensors given to <see cref="AddLoss"/> and <see cref="Report"/> leave their scope: the context
/// owns them until <see cref="TakeLosses"/> / <see cref="TakeMetrics"/> hands them on (to the
/// model's output), and <see cref="Dispose"/> frees whatever was not taken.
/// </remarks>
public sealed class ForwardContext : IDisposable
{
    private readonly Dictionary<string, Tensor> _losses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _metrics = new(StringComparer.Ordinal);

    /// <summary>A context for one call; <paramref name="state"/> is null for an independent call.</summary>
    public ForwardContext(bool training, ModelState? state = null)
    {
        Training = training;
        State = state;
    }

    /// <summary>True while training (dropout, noise and exploration are active).</summary>
    public bool Training { get; }

    /// <summary>State carried from earlier calls and kept for later ones; null for an independent call.</summary>
    public ModelState? State { get; }

    /// <summary>Position of this call's first step in the whole sequence (steps consumed by earlier calls).</summary>
    public long Position => State?.Position ?? 0;

    /// <summary>
    /// Adds <paramref name="value"/> to the auxiliary loss <paramref name="name"/>; when several layers
    /// (one per repeated block, say) report the same name, their values are summed.
    /// </summary>
    public void AddLoss(string name, Tensor value) => Accumulate(_losses, name, value);

    /// <summary>The auxiliary loss <paramref name="name"/> summed so far, or null if no layer reported it.</summary>
    public Tensor? Loss(string name) => _losses.GetValueOrDefault(name);

    /// <summary>
    /// Records a measurement for the training log (expert usage, a gate's mean …); it is detached
    /// from the autograd graph and never part of the loss. Repeated names are summed.
    /// </summary>
    public void Report(string name, Tensor value)
    {
        using var detached = value.Detach();
        Accumulate(_metrics, name, detached);
    }

    /// <summary>Every auxiliary loss reported so far.</summary>
    public IReadOnlyDictionary<string, Tensor> Losses => _losses;

    /// <summary>Every measurement reported so far.</summary>
    public IReadOnlyDictionary<string, Tensor> Metrics => _metrics;

    /// <summary>Hands the losses to the caller, who disposes them from now on.</summary>
    public Dictionary<string, Tensor> TakeLosses() => Take(_losses);

    /// <summary>Hands the measurements to the caller, who disposes them from now on.</summary>
    public Dictionary<string, Tensor> TakeMetrics() => Take(_metrics);

    private static void Accumulate(Dictionary<string, Tensor> sink, string name, Tensor value)
    {
        Tensor owned;
        if (sink.TryGetValue(name, out var previous))
        {
            owned = previous.Add(value);
            previous.Dispose();
        }
        else
        {
            owned = value.Alias();
        }
        // The context owns the sum now, whichever scope is open.
        owned.Scope?.Detach(owned);
        sink[name] = owned;
    }

    private static Dictionary<string, Tensor> Take(Dictionary<string, Tensor> sink)
    {
        var taken = new Dictionary<string, Tensor>(sink, StringComparer.Ordinal);
        sink.Clear();
        return taken;
    }

    /// <summary>Frees the losses and measurements nobody took.</summary>
    public void Dispose()
    {
        foreach (var tensor in _losses.Values) tensor.Dispose();
        foreach (var tensor in _metrics.Values) tensor.Dispose();
        _losses.Clear();
        _metrics.Clear();
    }
}
