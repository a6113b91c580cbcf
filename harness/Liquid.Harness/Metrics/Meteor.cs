namespace Liquid.Harness.Metrics;

/// <summary>
/// METEOR (Lavie and Agarwal 2007) as <c>nltk.translate.meteor_score</c> computes it (NLTK 3.8, the
/// version Debian ships): words lower-cased, aligned in three stages — exact, Porter stem
/// (<see cref="PorterStemmer"/>), WordNet synonym (<see cref="WordNet"/>) — then
/// F_mean = P·R / (α·P + (1 − α)·R) and score = (1 − γ·(chunks / matches)^β)·F_mean, with α 0.9,
/// β 3, γ 0.5; 0 when nothing matches.
/// </summary>
/// <remarks>
/// <para>Each stage aligns greedily as NLTK does: hypothesis words from the last to the first, each
/// to the last still-unaligned reference word it matches; the stage's matches leave both lists. No
/// search for the alignment with fewest crossings (which the original METEOR does) takes place, so the
/// score is NLTK's, not the METEOR 1.5 tool's. Chunks are counted over the alignment sorted by
/// hypothesis position: a new chunk starts wherever the next match is not adjacent in both the
/// hypothesis and the reference.</para>
/// <para>The synonym stage runs on the words the first two stages left, stemmed (NLTK passes the stem
/// stage's stemmed lists on): a reference stem matches a hypothesis stem that it equals or that is a
/// lemma name (without '_') of a synset of the hypothesis stem or of one of its base forms (WordNet's
/// morphy). Without a
/// WordNet database (<see cref="Meteor(WordNet?)"/> with null) that stage is skipped, and the score is
/// the exact-and-stem METEOR; <see cref="UsesSynonyms"/> says which.</para>
/// <para>With several references the best single-reference score is taken; over a corpus,
/// <see cref="Mean"/> averages the sentence scores (NLTK has no corpus METEOR).</para>
/// </remarks>
public sealed class Meteor(WordNet? wordNet, double alpha = 0.9, double beta = 3.0, double gamma = 0.5)
{
    /// <summary>Whether the synonym stage runs (a WordNet database was given).</summary>
    public bool UsesSynonyms => wordNet is not null;

    /// <summary>The sentence score of <paramref name="hypothesis"/> against its best reference.</summary>
    public double Score(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypothesis)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("METEOR needs at least one reference", nameof(references));
        return references.Max(reference => Score(reference, hypothesis));
    }

    /// <summary>The sentence score of <paramref name="hypothesis"/> against one reference.</summary>
    public double Score(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(hypothesis);
        var hyp = hypothesis.Select((word, i) => (Index: i, Word: word.ToLowerInvariant())).ToList();
        var refs = reference.Select((word, i) => (Index: i, Word: word.ToLowerInvariant())).ToList();
        int hypothesisLength = hyp.Count, referenceLength = refs.Count;

        var matches = new List<(int Hypothesis, int Reference)>();
        matches.AddRange(Align(hyp, refs, (h, r) => h == r));
        // The words left are stemmed, and stay stemmed for the synonym stage (as in NLTK, which looks
        // up the synonyms of the hypothesis word's stem and compares them with the reference stems).
        hyp = hyp.Select(p => (p.Index, PorterStemmer.Stem(p.Word))).ToList();
        refs = refs.Select(p => (p.Index, PorterStemmer.Stem(p.Word))).ToList();
        matches.AddRange(Align(hyp, refs, (h, r) => h == r));
        if (wordNet is not null)
            matches.AddRange(Align(hyp, refs, (h, r) => h == r || wordNet.Synonyms(h).Contains(r)));
        matches.Sort((a, b) => a.Hypothesis.CompareTo(b.Hypothesis));

        if (matches.Count == 0 || hypothesisLength == 0 || referenceLength == 0) return 0;
        var precision = (double)matches.Count / hypothesisLength;
        var recall = (double)matches.Count / referenceLength;
        var fmean = precision * recall / (alpha * precision + (1 - alpha) * recall);
        var fragmentation = (double)Chunks(matches) / matches.Count;
        return (1 - gamma * Math.Pow(fragmentation, beta)) * fmean;
    }

    /// <summary>The mean sentence score over pairs of references and hypothesis (0 for no pairs).</summary>
    public double Mean(IEnumerable<(IReadOnlyList<IReadOnlyList<string>> References, IReadOnlyList<string> Hypothesis)> pairs)
    {
        double sum = 0;
        var count = 0;
        foreach (var (references, hypothesis) in pairs)
        {
            sum += Score(references, hypothesis);
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /// <summary>
    /// One alignment stage: hypothesis words from last to first, each matched to the last remaining
    /// reference word it matches; both leave their lists. Returns the (hypothesis, reference) positions.
    /// </summary>
    private static List<(int Hypothesis, int Reference)> Align(List<(int Index, string Word)> hypothesis, List<(int Index, string Word)> reference, Func<string, string, bool> matches)
    {
        var aligned = new List<(int, int)>();
        for (var i = hypothesis.Count - 1; i >= 0; i--)
        {
            for (var j = reference.Count - 1; j >= 0; j--)
            {
                if (!matches(hypothesis[i].Word, reference[j].Word)) continue;
                aligned.Add((hypothesis[i].Index, reference[j].Index));
                hypothesis.RemoveAt(i);
                reference.RemoveAt(j);
                break;
            }
        }
        return aligned;
    }

    /// <summary>The fewest chunks of matches adjacent in both the hypothesis and the reference.</summary>
    private static int Chunks(List<(int Hypothesis, int Reference)> matches)
    {
        var chunks = 1;
        for (var i = 0; i + 1 < matches.Count; i++)
            if (!(matches[i + 1].Hypothesis == matches[i].Hypothesis + 1 && matches[i + 1].Reference == matches[i].Reference + 1)) chunks++;
        return chunks;
    }
}
