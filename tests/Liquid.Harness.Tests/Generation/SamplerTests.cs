using System.Globalization;
using Liquid.Harness.Generation;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Generation;

/// <summary>The sampler: processor order, greedy argmax, seeded draws and their frequencies.</summary>
[Collection(GenerationCollection.Name)]
public sealed class SamplerTests
{
    private static readonly float[] FixedLogits = [1.0f, 0.5f, 0.0f, -0.5f, 2.0f, -1.0f];

    [Fact]
    public void PipelineMatchesPyTorchReferenceInHuggingFaceOrder()
    {
        using var scope = TensorScope.Enter();
        var data = SamplingReference.Load(out _);
        var sampler = new Sampler(new SamplingOptions
        {
            Strategy = SamplingStrategy.Sample, RepetitionPenalty = 1.2, Temperature = 0.7, TopK = 5, TopP = 0.8,
        });

        Assert.Equal(["repetition_penalty(1.2)", "temperature(0.7)", "top_k(5)", "top_p(0.8)"], sampler.Processors.Select(p => p.ToString()));
        var scores = sampler.Process(data["input.b4"], data["history.b4"]);
        Scores.Equal(data["pipeline.expected"], scores, context: "pipeline scores");
        Scores.Equal(data["pipeline.probs"], scores.Softmax(-1), context: "pipeline probabilities");
    }

    [Fact]
    public void NeutralOptionsAddNoProcessorsAndGreedySkipsTheWarpers()
    {
        Assert.Empty(new Sampler(new SamplingOptions()).Processors);
        Assert.Empty(new Sampler(new SamplingOptions { TopK = 0, TopP = 1.0 }).Processors);
        var greedy = new Sampler(SamplingOptions.Greedy with { Temperature = 0, TopK = 3, TopP = 0.5, RepetitionPenalty = 1.3 });
        Assert.Equal(["repetition_penalty(1.3)"], greedy.Processors.Select(p => p.ToString()));
    }

    [Fact]
    public void GreedyPicksTheArgmaxDeterministically()
    {
        using var scope = TensorScope.Enter();
        var sampler = new Sampler(SamplingOptions.Greedy);
        var logits = Tensor.From(FixedLogits, FixedLogits.Length);
        Assert.Null(sampler.Seed());
        for (var i = 0; i < 5; i++) Assert.Equal(4, sampler.Next(logits, []));

        // Ties go to the lowest id; a batch gets one argmax per row.
        var batch = Tensor.From([0f, 3f, 3f, 1f, 5f, 2f, 2f, 5f], 2, 4);
        Assert.Equal([1L, 0L], sampler.Choose(batch).ToArray<long>());
    }

    [Fact]
    public void GreedyAppliesTheRepetitionPenalty()
    {
        using var scope = TensorScope.Enter();
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 3.0 });
        var logits = Tensor.From(FixedLogits, FixedLogits.Length);
        // 2.0 / 3 < 1.0: the seen id 4 loses to id 0.
        Assert.Equal(0, sampler.Next(logits, [4, 4, 4]));
        Assert.Equal(4, sampler.Next(logits, [0, 1]));
    }

    [Fact]
    public void SameSeedSameDrawsDifferentSeedsDiffer()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.From(FixedLogits, FixedLogits.Length);
        int[] Draw(ulong seed)
        {
            var sampler = new Sampler(new SamplingOptions { Seed = seed, Temperature = 1.5 });
            Assert.Equal(seed, sampler.Seed());
            return Enumerable.Range(0, 40).Select(_ => sampler.Next(logits, [])).ToArray();
        }

        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void WithoutASeedOneIsChosenAndReported()
    {
        var sampler = new Sampler(new SamplingOptions());
        var first = sampler.Seed();
        var second = sampler.Seed();
        Assert.NotNull(first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void SampledFrequenciesMatchSoftmaxProbabilities()
    {
        const int draws = 20_000;
        using var scope = TensorScope.Enter();
        var logits = Tensor.From(FixedLogits, FixedLogits.Length);
        var expected = logits.Softmax(-1).To(DType.Float64).ToArray<double>();
        var sampler = new Sampler(new SamplingOptions { Seed = 1234 });
        sampler.Seed();

        var counts = new int[FixedLogits.Length];
        for (var i = 0; i < draws; i++)
        {
            using (TensorScope.Enter()) counts[sampler.Next(logits, [])]++;
        }

        AssertFrequencies(expected, counts, draws);
    }

    [Fact]
    public void SampledFrequenciesFollowTheWarpedDistribution()
    {
        const int draws = 20_000;
        using var scope = TensorScope.Enter();
        var logits = Tensor.From(FixedLogits, FixedLogits.Length);
        // Temperature 0.5 then top-k 3 keeps ids 4, 0, 1: probabilities ∝ exp(2·score) over those.
        var kept = new[] { 4, 0, 1 };
        var weights = FixedLogits.Select((s, id) => kept.Contains(id) ? Math.Exp(2.0 * s) : 0.0).ToArray();
        var expected = weights.Select(w => w / weights.Sum()).ToArray();
        var sampler = new Sampler(new SamplingOptions { Seed = 99, Temperature = 0.5, TopK = 3 });
        sampler.Seed();

        // One batched draw of [draws, V] exercises Choose on a batch.
        var batch = logits.Unsqueeze(0).Expand(draws, FixedLogits.Length);
        var ids = sampler.Choose(batch).ToArray<long>();
        var counts = new int[FixedLogits.Length];
        foreach (var id in ids) counts[id]++;

        AssertFrequencies(expected, counts, draws);
    }

    private static void AssertFrequencies(double[] expected, int[] counts, int draws)
    {
        for (var id = 0; id < expected.Length; id++)
        {
            var frequency = (double)counts[id] / draws;
            if (expected[id] == 0)
            {
                Assert.Equal(0, counts[id]);
                continue;
            }
            var standardError = Math.Sqrt(expected[id] * (1 - expected[id]) / draws);
            Assert.True(Math.Abs(frequency - expected[id]) <= 4.5 * standardError,
                string.Create(CultureInfo.InvariantCulture,
                    $"id {id}: frequency {frequency:F4} vs probability {expected[id]:F4} (standard error {standardError:F4})"));
        }
    }

    [Fact]
    public void SamplerFreesItsTensors()
    {
        var baseline = LiveTensors.Settled();
        using (var scope = TensorScope.Enter())
        {
            var logits = Tensor.From(FixedLogits, FixedLogits.Length);
            var sampler = new Sampler(new SamplingOptions { Seed = 5, RepetitionPenalty = 1.3, Temperature = 0.8, TopK = 4, TopP = 0.9 });
            sampler.Seed();
            var before = Torch.LiveTensors;
            for (var i = 0; i < 20; i++) sampler.Next(logits, [1, 2, 2]);
            Assert.Equal(before, Torch.LiveTensors);
        }
        Assert.Equal(baseline, LiveTensors.Settled());
    }
}
