namespace Liquid.Harness.Metrics;

/// <summary>How <see cref="Bleu"/> treats an n-gram order without a single match.</summary>
public enum BleuSmoothing
{
    /// <summary>
    /// None (NLTK's default, <c>SmoothingFunction().method0</c>): the precision becomes the smallest
    /// normal double, so the score is ~0 (about 1e-77 for BLEU-4) whenever one order has no match.
    /// </summary>
    None,
    /// <summary>NLTK's <c>method1</c>: ε = 0.1 is added to the matches of an order that has none.</summary>
    Epsilon,
}

/// <summary>
/// Corpus BLEU (Papineni et al. 2002) as <c>nltk.translate.bleu_score.corpus_bleu</c> computes it:
/// clipped n-gram matches and hypothesis n-grams summed over the corpus before dividing (micro
/// average), the brevity penalty from the summed hypothesis lengths and the summed lengths of each
/// hypothesis's closest reference, and BLEU-N = BP·exp(Σ_{n ≤ N} (1/N)·log p_n) — NLTK's default
/// weights (¼, ¼, ¼, ¼) for N = 4 and the uniform 1/N for BLEU-1, -2 and -3.
/// </summary>
/// <remarks>
/// Details that follow NLTK: a hypothesis's n-gram count is clipped by its largest count in any one
/// reference; an order's denominator is at least 1 per sentence; the closest reference length is the
/// one nearest the hypothesis length, the shorter on a tie; BP = 1 when the hypotheses are longer
/// than the references, 0 when they are empty, else exp(1 − r/c); BLEU is 0 when no unigram matches.
/// </remarks>
public static class Bleu
{
    /// <summary>BLEU-1 … BLEU-<paramref name="maxOrder"/> of a corpus (element n − 1 is BLEU-n).</summary>
    public static double[] Corpus(IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references, IReadOnlyList<IReadOnlyList<string>> hypotheses,
        int maxOrder = 4, BleuSmoothing smoothing = BleuSmoothing.None)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(hypotheses);
        if (references.Count != hypotheses.Count) throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference lists");
        if (maxOrder < 1) throw new ArgumentOutOfRangeException(nameof(maxOrder), "BLEU needs n-grams of order 1 at least");
        var matched = new long[maxOrder + 1];
        var total = new long[maxOrder + 1];
        long hypothesisLength = 0, referenceLength = 0;
        for (var s = 0; s < hypotheses.Count; s++)
        {
            var hypothesis = hypotheses[s];
            if (references[s].Count == 0) throw new ArgumentException($"hypothesis {s} has no reference");
            for (var n = 1; n <= maxOrder; n++)
            {
                var counts = NGrams.Count(hypothesis, n);
                var best = new Dictionary<NGram, int>();
                foreach (var reference in references[s])
                {
                    var referenceCounts = NGrams.Count(reference, n);
                    foreach (var ngram in counts.Keys)
                        best[ngram] = Math.Max(best.GetValueOrDefault(ngram), referenceCounts.GetValueOrDefault(ngram));
                }
                matched[n] += counts.Sum(c => (long)Math.Min(c.Value, best[c.Key]));
                total[n] += Math.Max(1, counts.Values.Sum());
            }
            hypothesisLength += hypothesis.Count;
            referenceLength += ClosestLength(references[s], hypothesis.Count);
        }

        var scores = new double[maxOrder];
        if (matched[1] == 0) return scores;
        var penalty = hypothesisLength > referenceLength ? 1.0 : hypothesisLength == 0 ? 0.0 : Math.Exp(1 - (double)referenceLength / hypothesisLength);
        var logPrecision = new double[maxOrder + 1];
        for (var n = 1; n <= maxOrder; n++)
        {
            var precision = matched[n] > 0 ? (double)matched[n] / total[n]
                : smoothing == BleuSmoothing.Epsilon ? 0.1 / total[n]
                : 2.2250738585072014E-308; // Python's sys.float_info.min, what NLTK puts for a zero precision
            logPrecision[n] = Math.Log(precision);
        }
        for (var order = 1; order <= maxOrder; order++)
        {
            // NLTK sums w·log p with math.fsum (one rounding); a plain sum of at most four terms differs
            // from it by a few ulps at most.
            var sum = 0.0;
            for (var n = 1; n <= order; n++) sum += 1.0 / order * logPrecision[n];
            scores[order - 1] = penalty * Math.Exp(sum);
        }
        return scores;
    }

    private static long ClosestLength(IReadOnlyList<IReadOnlyList<string>> references, int hypothesisLength) =>
        references.Select(r => r.Count).OrderBy(length => Math.Abs(length - hypothesisLength)).ThenBy(length => length).First();
}
