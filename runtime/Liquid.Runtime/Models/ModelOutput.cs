using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Models;

/// <summary>
/// What a forward pass returns: the outputs the model file names (the first is the primary one, e.g.
/// logits), the auxiliary losses layers reported (MoE balance, reconstruction …), which the objective
/// weighs, and per-step measurements for the training log. Disposing it frees them all.
/// </summary>
public class ModelOutput : IDisposable
{
    private readonly Dictionary<string, Tensor> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _losses;
    private readonly Dictionary<string, Tensor> _metrics;

    /// <summary>Takes the named outputs and, from <paramref name="context"/>, its losses and measurements.</summary>
    protected ModelOutput(ForwardContext context, params (string Name, Tensor Value)[] values)
    {
        if (values.Length == 0) throw new ArgumentException("a model output needs at least one value", nameof(values));
        foreach (var (name, value) in values) _values[name] = value;
        Output = values[0].Value;
        _losses = context.TakeLosses();
        _metrics = context.TakeMetrics();
    }

    /// <summary>The primary output (the first the model file names).</summary>
    public Tensor Output { get; }

    /// <summary>Every output by its YAML name.</summary>
    public IReadOnlyDictionary<string, Tensor> Values => _values;

    /// <summary>Auxiliary losses by the names the model file gives them.</summary>
    public IReadOnlyDictionary<string, Tensor> Losses => _losses;

    /// <summary>Measurements layers reported (detached from the graph), by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Metrics => _metrics;

    /// <summary>Disposes every tensor the output holds.</summary>
    public void Dispose()
    {
        foreach (var tensor in _values.Values) tensor.Dispose();
        foreach (var tensor in _losses.Values) tensor.Dispose();
        foreach (var tensor in _metrics.Values) tensor.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The value of a model's objective: the weighted total that training minimises and each term on its
/// own (for the log). Disposing it frees the terms; take the total first to keep it.
/// </summary>
public sealed class ObjectiveValue : IDisposable
{
    private Tensor? _total;

    private ObjectiveValue(Tensor total, IReadOnlyList<ObjectiveTerm> terms)
    {
        _total = total;
        Terms = terms;
    }

    /// <summary>Σ weight·term, a scalar.</summary>
    public Tensor Total => _total ?? throw new ObjectDisposedException(nameof(ObjectiveValue), "the total was taken");

    /// <summary>Each term, unweighted, with its weight.</summary>
    public IReadOnlyList<ObjectiveTerm> Terms { get; }

    /// <summary>
    /// The objective Σ weight·value of <paramref name="terms"/>; the total and the terms leave
    /// <paramref name="scope"/> (everything else computed in it is freed with it).
    /// </summary>
    public static ObjectiveValue Sum(TensorScope scope, params (string Name, Tensor Value, double Weight)[] terms)
    {
        if (terms.Length == 0) throw new ArgumentException("an objective needs at least one term", nameof(terms));
        var total = terms[0].Weight == 1 ? terms[0].Value.Alias() : terms[0].Value.Mul(terms[0].Weight);
        foreach (var (_, value, weight) in terms.Skip(1)) total = total.Add(weight == 1 ? value : value.Mul(weight));
        var kept = new List<ObjectiveTerm>();
        foreach (var (name, value, weight) in terms)
        {
            // A term may be an output's tensor (an auxiliary loss); the objective keeps a handle of its own.
            var own = value.Alias();
            kept.Add(new ObjectiveTerm(name, scope.Keep(own), weight));
        }
        return new ObjectiveValue(scope.Keep(total), kept);
    }

    /// <summary>Hands the total to the caller, who disposes it.</summary>
    public Tensor TakeTotal()
    {
        var total = Total;
        _total = null;
        return total;
    }

    /// <summary>Frees the terms (and the total, unless taken).</summary>
    public void Dispose()
    {
        _total?.Dispose();
        _total = null;
        foreach (var term in Terms) term.Value.Dispose();
    }
}

/// <summary>One term of an objective: its name in the log, its value and its weight.</summary>
public sealed record ObjectiveTerm(string Name, Tensor Value, double Weight);
