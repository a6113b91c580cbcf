using System.Text.RegularExpressions;

namespace Liquid.Harness.Metrics;

/// <summary>What <see cref="GenerationMetrics.Compute"/> measured over pairs of generated and reference texts.</summary>
/// <param name="Pairs">Number of (hypothesis, reference) pairs.</param>
/// <param name="ExactMatch">Share of hypotheses equal to their reference, token by token.</param>
/// <param name="MeanLength">Mean hypothesis length in tokens.</param>
/// <param name="Distinct1">Distinct unigrams over all unigrams of all hypotheses (Li et al. 2016).</param>
/// <param name="Distinct2">Distinct bigrams over all bigrams of all hypotheses.</param>
/// <param name="Bleu">Corpus BLEU-1 … BLEU-4 (element n − 1 is BLEU-n), see <see cref="Metrics.Bleu"/>.</param>
/// <param name="BleuSmoothing">How BLEU treated an order without matches.</param>
/// <param name="Rouge1">Mean ROUGE-1 F1.</param>
/// <param name="Rouge2">Mean ROUGE-2 F1.</param>
/// <param name="RougeL">Mean ROUGE-L F1.</param>
/// <param name="Meteor">Mean sentence METEOR, see <see cref="Metrics.Meteor"/>.</param>
/// <param name="MeteorSynonyms">Whether METEOR's WordNet synonym stage ran.</param>
public sealed record GenerationReport(int Pairs, double ExactMatch, double MeanLength, double Distinct1, double Distinct2,
    IReadOnlyList<double> Bleu, BleuSmoothing BleuSmoothing, double Rouge1, double Rouge2, double RougeL, double Meteor, bool MeteorSynonyms);

/// <summary>
/// Text metrics of generated continuations against references, one reference per hypothesis: exact
/// match, mean length, distinct-1/2, corpus BLEU-1…4, ROUGE-1/2/L F1 and METEOR, all over the same
/// tokens (<see cref="Words"/> of each text, or tokens the caller made).
/// </summary>
public static partial class GenerationMetrics
{
    /// <summary>
    /// Lower-cased word tokens: runs of letters, digits and underscores, and each other non-space
    /// character on its own ("¿Qué tal?" → ¿, qué, tal, ?). The reference scripts tokenize the same way
    /// (Python's <c>re.findall(r"\w+|[^\w\s]", text.lower())</c>); the two regex engines agree on letters,
    /// digits and underscores in precomposed form, and differ on rarer characters (.NET's \w takes
    /// combining marks, Python's takes numerals such as ²).
    /// </summary>
    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToList();
    }

    [GeneratedRegex(@"\w+|[^\w\s]")]
    private static partial Regex WordPattern();

    /// <summary>Every metric over <paramref name="pairs"/>; <paramref name="meteor"/> null uses WordNet at its Debian path when installed.</summary>
    public static GenerationReport Compute(IReadOnlyList<(IReadOnlyList<string> Hypothesis, IReadOnlyList<string> Reference)> pairs,
        BleuSmoothing smoothing = BleuSmoothing.None, Meteor? meteor = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        meteor ??= new Meteor(WordNet.TryOpenDefault());
        if (pairs.Count == 0) return new GenerationReport(0, 0, 0, 0, 0, [0, 0, 0, 0], smoothing, 0, 0, 0, 0, meteor.UsesSynonyms);
        var hypotheses = pairs.Select(p => p.Hypothesis).ToList();
        var references = pairs.Select(p => (IReadOnlyList<IReadOnlyList<string>>)[p.Reference]).ToList();
        var rougePairs = pairs.Select(p => (p.Reference, p.Hypothesis)).ToList();
        return new GenerationReport(
            pairs.Count,
            pairs.Average(p => p.Hypothesis.SequenceEqual(p.Reference, StringComparer.Ordinal) ? 1.0 : 0.0),
            hypotheses.Average(h => h.Count),
            Distinct(hypotheses, 1),
            Distinct(hypotheses, 2),
            Metrics.Bleu.Corpus(references, hypotheses, 4, smoothing),
            smoothing,
            Rouge.MeanF1(rougePairs, 1),
            Rouge.MeanF1(rougePairs, 2),
            Rouge.MeanF1(rougePairs, 0),
            meteor.Mean(pairs.Select(p => ((IReadOnlyList<IReadOnlyList<string>>)[p.Reference], p.Hypothesis))),
            meteor.UsesSynonyms);
    }

    /// <summary>Distinct-n: distinct n-grams over all n-grams of all hypotheses (0 when there are none).</summary>
    public static double Distinct(IReadOnlyList<IReadOnlyList<string>> hypotheses, int n)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        var distinct = new HashSet<NGram>();
        long total = 0;
        foreach (var hypothesis in hypotheses)
        {
            foreach (var (ngram, count) in NGrams.Count(hypothesis, n))
            {
                distinct.Add(ngram);
                total += count;
            }
        }
        return total == 0 ? 0 : (double)distinct.Count / total;
    }
}
