namespace Liquid.Harness.Metrics;

/// <summary>Precision, recall and F1 of one ROUGE comparison.</summary>
/// <param name="Precision">Overlap over the hypothesis's n-grams (or its length, for ROUGE-L).</param>
/// <param name="Recall">Overlap over the reference's n-grams (or its length).</param>
/// <param name="F1">2·P·R / (P + R), 0 when both are 0.</param>
public readonly record struct RougeScore(double Precision, double Recall, double F1)
{
    internal static RougeScore Of(long overlap, long hypothesis, long reference)
    {
        var precision = hypothesis == 0 ? 0 : (double)overlap / hypothesis;
        var recall = reference == 0 ? 0 : (double)overlap / reference;
        return new RougeScore(precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }
}

/// <summary>
/// ROUGE (Lin 2004) between a hypothesis and one reference: ROUGE-N from clipped n-gram overlap
/// Σ min(count_hyp, count_ref), ROUGE-L from the longest common subsequence (β = 1, so F is F1). Over a
/// corpus, <see cref="MeanF1"/> averages the sentence F1 scores (as the usual ROUGE packages report a
/// corpus: the mean of per-pair scores). Tokens are compared as given (ordinal); no stemming.
/// </summary>
public static class Rouge
{
    /// <summary>ROUGE-N of one pair.</summary>
    public static RougeScore N(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis, int n)
    {
        var hypothesisCounts = NGrams.Count(hypothesis, n);
        var referenceCounts = NGrams.Count(reference, n);
        long overlap = hypothesisCounts.Sum(c => (long)Math.Min(c.Value, referenceCounts.GetValueOrDefault(c.Key)));
        return RougeScore.Of(overlap, hypothesisCounts.Values.Sum(), referenceCounts.Values.Sum());
    }

    /// <summary>ROUGE-L of one pair.</summary>
    public static RougeScore L(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis) =>
        RougeScore.Of(LongestCommonSubsequence(reference, hypothesis), hypothesis.Count, reference.Count);

    /// <summary>Length of the longest common subsequence (dynamic programming over one row).</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var row = new int[b.Count + 1];
        for (var i = 1; i <= a.Count; i++)
        {
            var diagonal = 0; // row[j − 1] of the previous i
            for (var j = 1; j <= b.Count; j++)
            {
                var above = row[j];
                row[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? diagonal + 1 : Math.Max(row[j], row[j - 1]);
                diagonal = above;
            }
        }
        return row[b.Count];
    }

    /// <summary>The mean F1 of ROUGE-N (<paramref name="n"/> ≥ 1) or ROUGE-L (<paramref name="n"/> 0) over the pairs; 0 for none.</summary>
    public static double MeanF1(IReadOnlyList<(IReadOnlyList<string> Reference, IReadOnlyList<string> Hypothesis)> pairs, int n)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return 0;
        return pairs.Average(p => (n == 0 ? L(p.Reference, p.Hypothesis) : N(p.Reference, p.Hypothesis, n)).F1);
    }
}
