using Liquid.Runtime;

namespace Liquid.Harness.Metrics;

/// <summary>What <see cref="PredictionMetrics"/> measured over the batches it saw.</summary>
/// <param name="Tokens">Positions counted (targets other than the ignore index).</param>
/// <param name="Sequences">Sequences with at least one counted position.</param>
/// <param name="TokenAccuracy">Share of positions whose target has the highest logit (top-1).</param>
/// <param name="SequenceAccuracy">Share of sequences whose every counted position is top-1 correct.</param>
/// <param name="TopK">Share of positions whose target is among the k highest logits, for each k of <see cref="PredictionMetrics.TopKs"/>.</param>
/// <param name="MeanNll">Mean −log softmax(logits)[target] over the positions, in nats.</param>
/// <param name="Perplexity">exp(MeanNll).</param>
public sealed record PredictionReport(long Tokens, long Sequences, double TokenAccuracy, double SequenceAccuracy,
    IReadOnlyDictionary<int, double> TopK, double MeanNll, double Perplexity);

/// <summary>
/// Teacher-forced next-token metrics of a language model, accumulated over batches: token accuracy,
/// sequence accuracy, top-k accuracy (1, 3, 5, 10), mean negative log-likelihood and perplexity.
/// </summary>
/// <remarks>
/// Rank of a target = the number of classes with a strictly higher logit; the target is top-k correct
/// when its rank is below k. Ties therefore count in the target's favour, and the result does not
/// depend on how a top-k kernel orders equal logits. The log-softmax is taken in float64 whatever the
/// logits' dtype. Positions whose target is the ignore index (−100, as cross-entropy's) are left out.
/// </remarks>
public sealed class PredictionMetrics(long ignoreIndex = -100)
{
    /// <summary>The k of the top-k accuracies.</summary>
    public static IReadOnlyList<int> TopKs { get; } = [1, 3, 5, 10];

    private readonly long[] _topK = new long[TopKs.Count];
    private long _tokens, _sequences, _exactSequences;
    private double _nll;

    /// <summary>
    /// Adds a batch: logits [B, T, V] with targets [B, T] (B sequences of T positions), or logits [N, V]
    /// with targets [N] (N sequences of one position).
    /// </summary>
    public void Add(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank is not (2 or 3) || targets.Rank != logits.Rank - 1 || !targets.Shape.AsSpan().SequenceEqual(logits.Shape.AsSpan(0, targets.Rank)))
            throw new ArgumentException($"logits [B, T, V] need targets [B, T] (or [N, V] and [N]); got [{string.Join(", ", logits.Shape)}] and [{string.Join(", ", targets.Shape)}]");
        long sequences = logits.Shape[0], positions = logits.Rank == 3 ? logits.Shape[1] : 1, classes = logits.Shape[^1];

        long[] rank;
        double[] nll;
        long[] ids;
        using (var scope = TensorScope.Enter())
        using (Torch.NoGrad())
        {
            var flat = logits.Reshape(-1, classes).To(DType.Float64);
            var target = targets.Reshape(-1).To(DType.Int64);
            ids = target.ToArray<long>();
            foreach (var id in ids)
                if (id != ignoreIndex && (id < 0 || id >= classes))
                    throw new ArgumentException($"target {id} is outside the {classes} classes (and not the ignore index {ignoreIndex})");
            var safe = Tensor.Where(target.Eq(ignoreIndex), target.ZerosLike(), target).Unsqueeze(1);
            var targetLogit = flat.Gather(1, safe);
            rank = flat.Gt(targetLogit).Sum(1).ToArray<long>();
            nll = flat.LogSoftmax(-1).Gather(1, safe).Neg().ToArray<double>();
        }

        for (var s = 0; s < sequences; s++)
        {
            var counted = 0;
            var exact = true;
            for (var t = 0; t < positions; t++)
            {
                var i = s * positions + t;
                if (ids[i] == ignoreIndex) continue;
                counted++;
                _tokens++;
                _nll += nll[i];
                for (var k = 0; k < TopKs.Count; k++)
                    if (rank[i] < TopKs[k]) _topK[k]++;
                exact &= rank[i] == 0;
            }
            if (counted == 0) continue;
            _sequences++;
            if (exact) _exactSequences++;
        }
    }

    /// <summary>The metrics so far (zeros and perplexity 1 before any counted position).</summary>
    public PredictionReport Report()
    {
        double Share(long count, long of) => of == 0 ? 0 : (double)count / of;
        var topK = TopKs.Select((k, i) => (k, Share(_topK[i], _tokens))).ToDictionary(p => p.k, p => p.Item2);
        var meanNll = _tokens == 0 ? 0 : _nll / _tokens;
        return new PredictionReport(_tokens, _sequences, topK[1], Share(_exactSequences, _sequences), topK, meanNll, Math.Exp(meanNll));
    }
}
