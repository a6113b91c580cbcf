using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Training;

/// <summary>
/// A model's own objective over batches (each weighted by its rows), each objective term, and what
/// its terms measure: for the first classification term (cross_entropy, focal) top-1/3/5/10 accuracy
/// over the targets it scores, for the first regression term (mse, l1, smooth_l1) mean squared and
/// absolute error. Targets the term ignores (its ignore_index, -100 by default) and negative ones are not scored.
/// </summary>
/// <param name="model">The model whose objective and outputs are scored.</param>
/// <param name="nextTokenNll">
/// Also accumulate −log softmax at the classification targets (<see cref="MeanNll"/>, for
/// perplexity): a log-softmax over every logit, which validation during training does not need.
/// </param>
public sealed class ObjectiveScores(CompiledModel model, bool nextTokenNll = false)
{
    private static readonly int[] Ranks = [1, 3, 5, 10];

    private readonly ObjectiveTermInfo? _classes = model.ObjectiveTerms.FirstOrDefault(t => t.Kind is "cross_entropy" or "focal");
    private readonly ObjectiveTermInfo? _regression = model.ObjectiveTerms.FirstOrDefault(t => t.Kind is "mse" or "l1" or "smooth_l1");
    private readonly Dictionary<string, double> _terms = new(StringComparer.Ordinal);
    private readonly long[] _hits = new long[Ranks.Length];
    private double _loss, _squared, _absolute, _nll;
    private long _rows, _scored, _elements;

    /// <summary>Adds one batch's output; its targets are <paramref name="batch"/>'s.</summary>
    public void Add(ModelOutput output, Batch batch)
    {
        using var scope = TensorScope.Enter();
        using var objective = model.Objective(output, batch.Targets);
        LastTotal = objective.Total.Item();
        _loss += LastTotal * batch.Rows;
        foreach (var term in objective.Terms) _terms[term.Name] = _terms.GetValueOrDefault(term.Name) + term.Value.Item() * batch.Rows;
        _rows += batch.Rows;

        if (_classes is { Target: { } classTarget } && output.Values.TryGetValue(_classes.Input, out var logits))
        {
            var flat = logits.Flatten(0, -2).To(DType.Float64);
            var targets = batch.Targets[classTarget].Flatten();
            var k = (int)Math.Min(Ranks[^1], flat.Size(-1));
            var (_, best) = flat.TopK(k, -1);
            var hits = best.Eq(targets.Unsqueeze(1)).ToArray<bool>();
            var ids = targets.ToArray<long>();
            // −log softmax at the target, whatever the term adds (label smoothing, focal weighting).
            var nll = nextTokenNll ? flat.LogSoftmax(-1).Gather(1, targets.Clamp(min: 0).Unsqueeze(1)).Neg().ToArray<double>() : null;
            for (var row = 0; row < ids.Length; row++)
            {
                if (ids[row] < 0 || ids[row] == _classes.IgnoreIndex) continue;
                _scored++;
                if (nll is not null) _nll += nll[row];
                var rank = Array.IndexOf(hits, true, row * k, k) is var at and >= 0 ? at - row * k : int.MaxValue;
                for (var r = 0; r < Ranks.Length; r++)
                    if (rank < Ranks[r]) _hits[r]++;
            }
        }
        if (_regression is { Target: { } valueTarget } && output.Values.TryGetValue(_regression.Input, out var prediction))
        {
            var error = prediction.To(DType.Float64).Sub(batch.Targets[valueTarget].To(DType.Float64));
            _squared += error.Square().Sum().Item();
            _absolute += error.Abs().Sum().Item();
            _elements += error.NumElements;
        }
    }

    /// <summary>The objective of the batch added last.</summary>
    public double LastTotal { get; private set; }

    /// <summary>Rows of the batches added so far.</summary>
    public long Rows => _rows;

    /// <summary>The mean objective (NaN before the first batch).</summary>
    public double Loss => _rows == 0 ? double.NaN : _loss / _rows;

    /// <summary>Each term's mean, unweighted.</summary>
    public IReadOnlyDictionary<string, double> Terms => _terms.ToDictionary(t => t.Key, t => t.Value / Math.Max(_rows, 1), StringComparer.Ordinal);

    /// <summary>Targets the classification term scored (tokens, or sequences for a per-sequence label).</summary>
    public long Scored => _scored;

    /// <summary>
    /// Mean −log p(target) of the classification term's logits over the targets it scored, in nats,
    /// or null without one (or when not asked for at construction): the negative log-likelihood that perplexity is the exponential of, which
    /// the term itself is not when it smooths labels or weighs them (focal).
    /// </summary>
    public double? MeanNll => !nextTokenNll || _scored == 0 ? null : _nll / _scored;

    /// <summary>Top-1 accuracy of the classification term, or null without one.</summary>
    public double? Accuracy => _scored == 0 ? null : (double)_hits[0] / _scored;

    /// <summary>Top-k accuracy for k = 1, 3, 5, 10, or null without a classification term.</summary>
    public IReadOnlyDictionary<int, double>? TopK => _scored == 0 ? null : Ranks.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => (double)_hits[p.i] / _scored);

    /// <summary>Mean squared error of the regression term's input against its target, or null without one.</summary>
    public double? MeanSquaredError => _elements == 0 ? null : _squared / _elements;

    /// <summary>Mean absolute error of the regression term, or null without one.</summary>
    public double? MeanAbsoluteError => _elements == 0 ? null : _absolute / _elements;
}
