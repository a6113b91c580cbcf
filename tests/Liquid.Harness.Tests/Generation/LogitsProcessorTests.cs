using Liquid.Harness.Generation;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Generation;

/// <summary>
/// The logits processors against tests/reference/make_sampling.py, which applies Hugging Face's
/// definitions with PyTorch to the same scores, plus the boundary cases spelled out by hand.
/// </summary>
[Collection(GenerationCollection.Name)]
public sealed class LogitsProcessorTests
{
    public static TheoryData<string> CaseNames() => new(SamplingReference.Cases().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorchReference(string name)
    {
        var testCase = SamplingReference.Cases().Single(c => c.Name == name);
        using var scope = TensorScope.Enter();
        var data = SamplingReference.Load(out _);
        var input = data[$"input.{testCase.Input}"];
        var before = input.Clone();
        var history = testCase.History is null ? null : data[$"history.{testCase.History}"];
        ILogitsProcessor processor = testCase.Processor switch
        {
            "repetition_penalty" => new RepetitionPenalty(testCase.Parameter),
            "temperature" => new Temperature(testCase.Parameter),
            "top_k" => new TopK((int)testCase.Parameter),
            "top_p" => new TopP(testCase.Parameter),
            _ => throw new InvalidOperationException($"unknown processor {testCase.Processor}"),
        };

        var actual = processor.Apply(input, history);

        Scores.Equal(data[$"{name}.expected"], actual, context: name);
        Assert.True(input.Equal(before), "the processor modified its input");
    }

    [Fact]
    public void ReferenceCoversTheBoundaryCases()
    {
        var cases = SamplingReference.Cases();
        Assert.Contains(cases, c => c.Processor == "repetition_penalty" && c.Parameter > 1);
        Assert.Contains(cases, c => c.Processor == "repetition_penalty" && c.Parameter < 1);
        Assert.Contains(cases, c => c.Processor == "top_k" && c.Name == "top_k_2_v1");
        Assert.Contains(cases, c => c.Processor == "top_p" && c.Parameter == 0.5);
        Assert.Contains(cases, c => c.Processor == "top_p" && c.Parameter == 0.75);
        Assert.Contains(cases, c => c.Processor == "temperature");
    }

    [Fact]
    public void TopKKeepsEveryTieAtTheBoundary()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.From([1.5f, -0.5f, 2.0f, 2.0f, -3.0f, 0.0f, 0.75f, -1.25f, 2.0f, 0.25f], 10);

        Assert.Equal([2, 3, 8], Scores.Kept(new TopK(1).Apply(logits)));
        Assert.Equal([2, 3, 8], Scores.Kept(new TopK(2).Apply(logits)));
        Assert.Equal([0, 2, 3, 8], Scores.Kept(new TopK(4).Apply(logits)));
        Assert.Equal(10, Scores.Kept(new TopK(1000).Apply(logits)).Length);
    }

    [Fact]
    public void TopPKeepsTheSmallestPrefixReachingP()
    {
        using var scope = TensorScope.Enter();
        // Four equal scores, the rest impossible: each probability is exactly 1/4.
        var inf = float.NegativeInfinity;
        var logits = Tensor.From([inf, 1f, inf, 1f, 1f, inf, inf, 1f, inf, inf], 10);

        // Mass exactly p: the prefix that reaches it is enough (ties drop the lower ids first, as HF's stable sort).
        Assert.Equal([4, 7], Scores.Kept(new TopP(0.5).Apply(logits)));
        Assert.Equal([3, 4, 7], Scores.Kept(new TopP(0.75).Apply(logits)));
        Assert.Equal([1, 3, 4, 7], Scores.Kept(new TopP(0.76).Apply(logits)));
        Assert.Equal([1, 3, 4, 7], Scores.Kept(new TopP(1.0).Apply(logits)));
        // Always at least one token.
        Assert.Equal([7], Scores.Kept(new TopP(1e-9).Apply(logits)));
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveMultipliesNegativeOncePerDistinctId()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.From([2.0f, -1.0f, 0.0f, 3.0f, -4.0f], 5);
        var history = Tensor.From([0L, 1L, 0L, 0L, 4L, 1L, 2L], 7);

        var penalized = new RepetitionPenalty(2.0).Apply(logits, history).ToArray<float>();

        Assert.Equal([1.0f, -2.0f, 0.0f, 3.0f, -8.0f], penalized);
    }

    [Fact]
    public void RepetitionPenaltyAppliesAOneDimensionalHistoryToEveryRow()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.From([2.0f, -1.0f, 4.0f, 1.0f, -2.0f, 8.0f], 2, 3);
        var history = Tensor.From([2, 0], 2); // int32 ids are accepted

        var penalized = new RepetitionPenalty(2.0).Apply(logits, history).ToArray<float>();

        Assert.Equal([1.0f, -1.0f, 2.0f, 0.5f, -2.0f, 4.0f], penalized);
    }

    [Fact]
    public void RepetitionPenaltyWithEmptyHistoryChangesNothing()
    {
        using var scope = TensorScope.Enter();
        var logits = Tensor.From([2.0f, -1.0f], 2);
        var result = new RepetitionPenalty(1.5).Apply(logits, Tensor.Zeros([0], DType.Int64));
        Assert.True(result.Equal(logits));
        Assert.Throws<ArgumentNullException>(() => new RepetitionPenalty(1.5).Apply(logits));
    }

    [Fact]
    public void OneRowAndABatchAgree()
    {
        using var scope = TensorScope.Enter();
        var data = SamplingReference.Load(out _);
        var batch = data["input.b4"];
        ILogitsProcessor[] processors = [new Temperature(0.5), new TopK(3), new TopP(0.6), new RepetitionPenalty(1.7)];
        var history = data["history.b4"];
        foreach (var processor in processors)
        {
            var whole = processor.Apply(batch, history);
            for (var row = 0; row < batch.Size(0); row++)
                Scores.Equal(whole.Select(0, row), processor.Apply(batch.Select(0, row), history.Select(0, row)), 1e-6, processor.ToString());
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void TemperatureMustBePositiveAndSuggestsGreedy(double temperature)
    {
        var error = Assert.Throws<ArgumentException>(() => new Temperature(temperature));
        Assert.Contains("greedy", error.Message, StringComparison.OrdinalIgnoreCase);

        var options = new SamplingOptions { Strategy = SamplingStrategy.Sample, Temperature = temperature };
        var fromOptions = Assert.Throws<ArgumentException>(() => new Sampler(options));
        Assert.Contains("greedy", fromOptions.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void InvalidParametersAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopK(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopP(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopP(1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepetitionPenalty(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepetitionPenalty(-1));
        using var scope = TensorScope.Enter();
        Assert.Throws<ArgumentException>(() => new TopK(2).Apply(Tensor.Zeros([2, 2, 2])));
        Assert.Throws<ArgumentException>(() => new TopK(2).Apply(Tensor.Zeros([4], DType.Int64)));
    }

    [Fact]
    public void ProcessorsFreeTheirIntermediates()
    {
        var baseline = LiveTensors.Settled();
        using (var scope = TensorScope.Enter())
        {
            var logits = Tensor.From([1.5f, -0.5f, 2.0f, 2.0f, -3.0f, 0.0f], 6);
            var history = Tensor.From([1L, 1L, 4L], 3);
            ILogitsProcessor[] processors = [new RepetitionPenalty(1.3), new Temperature(0.7), new TopK(2), new TopP(0.9)];
            foreach (var processor in processors)
            {
                var before = Torch.LiveTensors;
                using (TensorScope.Enter())
                {
                    // Only the result outlives the call.
                    var result = processor.Apply(logits, history);
                    Assert.Equal(before + 1, Torch.LiveTensors);
                }
                Assert.Equal(before, Torch.LiveTensors);
            }
        }
        Assert.Equal(baseline, LiveTensors.Settled());
    }
}
