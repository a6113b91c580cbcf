using Liquid.Harness.Metrics;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Metrics;

/// <summary>
/// <see cref="PredictionMetrics"/> on hand-made logits, against counts and log-likelihoods computed
/// here element by element: ranks with ties, the ignore index, sequence exactness, and accumulation
/// over batches.
/// </summary>
public sealed class PredictionMetricsTests
{
    // Three sequences of three positions over 12 classes; -100 is ignored.
    private static readonly long[,] Targets = { { 0, 3, 11 }, { 5, -100, 2 }, { 7, 1, -100 } };

    // The rank each target is given (classes with a strictly higher logit); -1 marks a tie for first.
    private static readonly int[,] Ranks = { { 0, -1, 0 }, { 4, 0, 0 }, { 11, 2, 0 } };

    private static readonly double[,,] Logits = BuildLogits();

    private static double[,,] BuildLogits()
    {
        var logits = new double[3, 3, 12];
        for (var b = 0; b < 3; b++)
            for (var t = 0; t < 3; t++)
            {
                var p = 3 * b + t;
                for (var v = 0; v < 12; v++) logits[b, t, v] = 0.3 * Math.Sin(v + 3 * p); // below 1
                var target = Targets[b, t];
                if (target < 0) continue;
                logits[b, t, target] = 1;
                var rank = Ranks[b, t];
                if (rank < 0) logits[b, t, (target + 1) % 12] = 1; // a tie: no class above the target
                var above = 0;
                for (var v = 0; above < rank; v++)
                {
                    if (v == target) continue;
                    logits[b, t, v] = 2 + 0.1 * v;
                    above++;
                }
            }
        return logits;
    }

    private static (Tensor Logits, Tensor Targets) Batch(DType dtype)
    {
        var flat = new double[3 * 3 * 12];
        Buffer.BlockCopy(Logits, 0, flat, 0, flat.Length * sizeof(double));
        var targets = new long[9];
        Buffer.BlockCopy(Targets, 0, targets, 0, targets.Length * sizeof(long));
        return (Tensor.From(flat, [3, 3, 12]).To(dtype), Tensor.From(targets, [3, 3]));
    }

    /// <summary>What the metrics should be, counted here one position at a time.</summary>
    private static (long Tokens, long[] TopK, double Nll, long ExactSequences) Expected()
    {
        long tokens = 0, exact = 0;
        var topK = new long[PredictionMetrics.TopKs.Count];
        double nll = 0;
        for (var b = 0; b < 3; b++)
        {
            var allRight = true;
            for (var t = 0; t < 3; t++)
            {
                var target = Targets[b, t];
                if (target == -100) continue;
                tokens++;
                var rank = 0;
                double max = double.NegativeInfinity, sum = 0;
                for (var v = 0; v < 12; v++) max = Math.Max(max, Logits[b, t, v]);
                for (var v = 0; v < 12; v++)
                {
                    if (Logits[b, t, v] > Logits[b, t, target]) rank++;
                    sum += Math.Exp(Logits[b, t, v] - max);
                }
                nll += -(Logits[b, t, target] - max - Math.Log(sum));
                for (var k = 0; k < topK.Length; k++) if (rank < PredictionMetrics.TopKs[k]) topK[k]++;
                allRight &= rank == 0;
            }
            if (allRight) exact++;
        }
        return (tokens, topK, nll, exact);
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-6)]
    public void CountsRanksLikelihoodAndSequencesOfOneBatch(DType dtype, double tolerance)
    {
        using var scope = TensorScope.Enter();
        var (logits, targets) = Batch(dtype);
        var metrics = new PredictionMetrics();
        metrics.Add(logits, targets);
        var report = metrics.Report();
        var (tokens, topK, nll, exact) = Expected();

        Assert.Equal(7, tokens); // the fixture: two positions are ignored
        Assert.Equal(tokens, report.Tokens);
        Assert.Equal(3, report.Sequences);
        for (var k = 0; k < topK.Length; k++) Assert.Equal((double)topK[k] / tokens, report.TopK[PredictionMetrics.TopKs[k]], 12);
        Assert.Equal(report.TopK[1], report.TokenAccuracy);
        // Ranks 0, 0 (tie), 0, 4, 0, 11, 2: top-1 4/7, top-3 5/7, top-5 and top-10 6/7; only sequence 0 is all first.
        Assert.Equal([4.0 / 7, 5.0 / 7, 6.0 / 7, 6.0 / 7], PredictionMetrics.TopKs.Select(k => report.TopK[k]));
        Assert.Equal((double)exact / 3, report.SequenceAccuracy, 12);
        Assert.Equal(1.0 / 3, report.SequenceAccuracy, 12);
        Assert.Equal(nll / tokens, report.MeanNll, tolerance);
        Assert.Equal(Math.Exp(nll / tokens), report.Perplexity, tolerance * 10);
    }

    [Fact]
    public void AccumulatesOverBatchesAsOneBatch()
    {
        using var scope = TensorScope.Enter();
        var (logits, targets) = Batch(DType.Float64);
        var whole = new PredictionMetrics();
        whole.Add(logits, targets);
        var parts = new PredictionMetrics();
        parts.Add(logits.Narrow(0, 0, 2), targets.Narrow(0, 0, 2));
        parts.Add(logits.Narrow(0, 2, 1), targets.Narrow(0, 2, 1));
        var (a, b) = (whole.Report(), parts.Report());
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Sequences, b.Sequences);
        Assert.Equal(a.TopK, b.TopK);
        Assert.Equal(a.SequenceAccuracy, b.SequenceAccuracy);
        Assert.Equal(a.MeanNll, b.MeanNll, 12);
    }

    [Fact]
    public void FlatLogitsAreSequencesOfOnePosition()
    {
        using var scope = TensorScope.Enter();
        var (logits, targets) = Batch(DType.Float64);
        var metrics = new PredictionMetrics();
        metrics.Add(logits.Reshape(9, 12), targets.Reshape(9));
        var report = metrics.Report();
        Assert.Equal(7, report.Tokens);
        Assert.Equal(7, report.Sequences); // an ignored position is no sequence
        Assert.Equal(report.TokenAccuracy, report.SequenceAccuracy);
    }

    [Fact]
    public void BadShapesAndTargetsAreArgumentErrors()
    {
        using var scope = TensorScope.Enter();
        var (logits, targets) = Batch(DType.Float64);
        var metrics = new PredictionMetrics();
        Assert.Contains("need targets [B, T]", Assert.Throws<ArgumentException>(() => metrics.Add(logits, targets.Reshape(9))).Message);
        var outside = Tensor.From<long>([0, 1, 12, 0, 0, 0, 0, 0, 0], [3, 3]);
        Assert.Contains("target 12 is outside the 12 classes", Assert.Throws<ArgumentException>(() => metrics.Add(logits, outside)).Message);
        Assert.Equal(0, metrics.Report().Tokens); // nothing was counted by the failed calls
        Assert.Equal(1, metrics.Report().Perplexity);
    }
}
