using System.Text.Json;
using Liquid.Harness.Metrics;

namespace Liquid.Harness.Tests.Metrics;

/// <summary>
/// The text metrics against tests/reference/data/text_metrics.json, written by
/// tests/reference/make_text_metrics.py: BLEU-1…4 from NLTK's corpus_bleu (no smoothing and ε
/// smoothing), METEOR from NLTK's meteor_score with Debian's WordNet (and without synonyms), ROUGE-1/2/L
/// from the script's own implementation, distinct-n, mean length and exact match; plus the stages
/// METEOR is built from — NLTK's Porter stems and WordNet synonym sets — word by word.
/// </summary>
/// <remarks>
/// Tolerance 1e-12 (relative to 1): both sides compute in double from the same integer counts; NLTK
/// sums the BLEU log-precisions with math.fsum, we add at most four terms, a few ulps apart at most.
/// </remarks>
public sealed class TextMetricsReferenceTests
{
    private const double Tolerance = 1e-12;

    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Liquid.Tests.RepositoryRoot.Path, "tests", "reference", "data", "text_metrics.json"))).RootElement;

    private static readonly Lazy<WordNet> Debian = new(() => WordNet.Open());

    private static IEnumerable<JsonElement> Pairs => Reference.GetProperty("pairs").EnumerateArray();

    private static List<string> Tokens(JsonElement pair, string which) => pair.GetProperty(which).EnumerateArray().Select(t => t.GetString()!).ToList();

    private static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [Fact]
    public void TheTokenizerSplitsLikeTheScript()
    {
        foreach (var pair in Pairs)
        {
            Assert.Equal(Tokens(pair, "hypothesis_tokens"), GenerationMetrics.Words(pair.GetProperty("hypothesis").GetString()!));
            Assert.Equal(Tokens(pair, "reference_tokens"), GenerationMetrics.Words(pair.GetProperty("reference").GetString()!));
        }
    }

    [Theory]
    [InlineData(BleuSmoothing.None, "none")]
    [InlineData(BleuSmoothing.Epsilon, "epsilon")]
    public void BleuMatchesNltkForEveryPairAndTheCorpus(BleuSmoothing smoothing, string key)
    {
        var hypotheses = new List<IReadOnlyList<string>>();
        var references = new List<IReadOnlyList<IReadOnlyList<string>>>();
        foreach (var pair in Pairs)
        {
            var hypothesis = Tokens(pair, "hypothesis_tokens");
            IReadOnlyList<IReadOnlyList<string>> reference = [Tokens(pair, "reference_tokens")];
            hypotheses.Add(hypothesis);
            references.Add(reference);
            var expected = Numbers(pair.GetProperty("bleu").GetProperty(key));
            var actual = Bleu.Corpus([reference], [hypothesis], 4, smoothing);
            for (var n = 0; n < 4; n++) Close(expected[n], actual[n], $"BLEU-{n + 1} of '{pair.GetProperty("hypothesis").GetString()}'");
        }
        var corpus = Numbers(Reference.GetProperty("corpus").GetProperty("bleu").GetProperty(key));
        var scores = Bleu.Corpus(references, hypotheses, 4, smoothing);
        for (var n = 0; n < 4; n++) Close(corpus[n], scores[n], $"corpus BLEU-{n + 1}");
    }

    [Fact]
    public void MeteorMatchesNltkWithAndWithoutWordNet()
    {
        var withSynonyms = new Meteor(Debian.Value);
        var exactAndStem = new Meteor(null);
        Assert.True(withSynonyms.UsesSynonyms);
        Assert.False(exactAndStem.UsesSynonyms);
        var differs = 0;
        foreach (var pair in Pairs)
        {
            var hypothesis = Tokens(pair, "hypothesis_tokens");
            var reference = Tokens(pair, "reference_tokens");
            var what = $"'{pair.GetProperty("hypothesis").GetString()}'";
            Close(pair.GetProperty("meteor").GetDouble(), withSynonyms.Score(reference, hypothesis), "METEOR of " + what);
            Close(pair.GetProperty("meteor_no_synonyms").GetDouble(), exactAndStem.Score(reference, hypothesis), "METEOR without synonyms of " + what);
            if (pair.GetProperty("meteor").GetDouble() != pair.GetProperty("meteor_no_synonyms").GetDouble()) differs++;
        }
        Assert.True(differs >= 3, $"only {differs} pairs exercise the synonym stage");
    }

    [Fact]
    public void RougeMatchesTheIndependentImplementation()
    {
        foreach (var pair in Pairs)
        {
            var hypothesis = Tokens(pair, "hypothesis_tokens");
            var reference = Tokens(pair, "reference_tokens");
            var what = $"'{pair.GetProperty("hypothesis").GetString()}'";
            Close(pair.GetProperty("rouge1").GetDouble(), Rouge.N(reference, hypothesis, 1).F1, "ROUGE-1 of " + what);
            Close(pair.GetProperty("rouge2").GetDouble(), Rouge.N(reference, hypothesis, 2).F1, "ROUGE-2 of " + what);
            Close(pair.GetProperty("rougeL").GetDouble(), Rouge.L(reference, hypothesis).F1, "ROUGE-L of " + what);
        }
    }

    [Fact]
    public void TheCorpusReportMatchesTheScript()
    {
        var pairs = Pairs.Select(p => ((IReadOnlyList<string>)Tokens(p, "hypothesis_tokens"), (IReadOnlyList<string>)Tokens(p, "reference_tokens"))).ToList();
        var report = GenerationMetrics.Compute(pairs, BleuSmoothing.None, new Meteor(Debian.Value));
        var corpus = Reference.GetProperty("corpus");
        Assert.Equal(pairs.Count, report.Pairs);
        Close(corpus.GetProperty("exact_match").GetDouble(), report.ExactMatch, "exact match");
        Close(corpus.GetProperty("mean_length").GetDouble(), report.MeanLength, "mean length");
        Close(corpus.GetProperty("distinct1").GetDouble(), report.Distinct1, "distinct-1");
        Close(corpus.GetProperty("distinct2").GetDouble(), report.Distinct2, "distinct-2");
        var bleu = Numbers(corpus.GetProperty("bleu").GetProperty("none"));
        for (var n = 0; n < 4; n++) Close(bleu[n], report.Bleu[n], $"BLEU-{n + 1}");
        Close(corpus.GetProperty("rouge1").GetDouble(), report.Rouge1, "ROUGE-1");
        Close(corpus.GetProperty("rouge2").GetDouble(), report.Rouge2, "ROUGE-2");
        Close(corpus.GetProperty("rougeL").GetDouble(), report.RougeL, "ROUGE-L");
        Close(corpus.GetProperty("meteor").GetDouble(), report.Meteor, "METEOR");
        Assert.True(report.MeteorSynonyms);
    }

    [Fact]
    public void StemsAreNltksPorterStems()
    {
        var wrong = Reference.GetProperty("stems").EnumerateObject()
            .Where(p => PorterStemmer.Stem(p.Name) != p.Value.GetString())
            .Select(p => $"{p.Name}: {PorterStemmer.Stem(p.Name)} (NLTK {p.Value.GetString()})").ToList();
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }

    [Fact]
    public void SynonymsAreNltksWordNetLemmaNames()
    {
        foreach (var entry in Reference.GetProperty("synonyms").EnumerateObject())
        {
            var expected = entry.Value.EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal(expected, Debian.Value.Synonyms(entry.Name).Order(StringComparer.Ordinal).ToList());
        }
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:R}, expected {expected:R}");
}

/// <summary>Small cases of the text metrics that follow from their definitions.</summary>
public sealed class TextMetricsDefinitionTests
{
    private static IReadOnlyList<string> W(string text) => GenerationMetrics.Words(text);

    [Fact]
    public void MeteorTakesTheBestReference()
    {
        var meteor = new Meteor(null);
        var hypothesis = W("the cat sat on the mat");
        var (near, far) = (W("the cat sat on a mat"), W("a dog stood"));
        Assert.Equal(Math.Max(meteor.Score(near, hypothesis), meteor.Score(far, hypothesis)), meteor.Score([far, near], hypothesis));
        Assert.True(meteor.Score(near, hypothesis) > meteor.Score(far, hypothesis));
        Assert.Throws<ArgumentException>(() => meteor.Score(Array.Empty<IReadOnlyList<string>>(), hypothesis));
    }

    [Fact]
    public void IdenticalTextsScoreOneAndEmptyCorporaZero()
    {
        var text = W("one two three four five");
        Assert.All(Bleu.Corpus([[text]], [text]), score => Assert.Equal(1.0, score, 15));
        Assert.Equal(1.0, Rouge.N(text, text, 2).F1, 15);
        Assert.Equal(1.0, Rouge.L(text, text).F1, 15);
        // One chunk of five matches: (1 − 0.5·(1/5)³)·1.
        Assert.Equal(1 - 0.5 * Math.Pow(0.2, 3), new Meteor(null).Score(text, text), 15);
        var empty = GenerationMetrics.Compute([], meteor: new Meteor(null));
        Assert.Equal(0, empty.Pairs);
        Assert.Equal([0.0, 0, 0, 0], empty.Bleu);
        Assert.Equal(1.0, GenerationMetrics.Distinct([W("a b c d")], 2));
        Assert.Equal(0.25, GenerationMetrics.Distinct([W("a a"), W("a a")], 1)); // one distinct of four
    }
}
