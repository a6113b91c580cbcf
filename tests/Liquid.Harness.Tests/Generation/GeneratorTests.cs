using Liquid.Harness.Generation;
using Liquid.Models;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Tests.Generation;

/// <summary>
/// The decoding loop on the generated <c>TinyGpt</c> with small random weights: the KV-cache path against
/// full re-runs, context sliding, stop rules, streaming, seeding and memory.
/// </summary>
[Collection(GenerationCollection.Name)]
public sealed class GeneratorTests : IDisposable
{
    private const int Context = 32;
    private readonly CompiledModel _model;

    public GeneratorTests()
    {
        Torch.ManualSeed(2024);
        // A larger init std than the default spreads the logits, so no greedy choice is a near tie.
        _model = TinyGpt.ModelInfo.Create(new Dictionary<string, string>
        {
            ["context"] = Context.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["d_model"] = "64",
            ["layers"] = "2",
            ["heads"] = "4",
            ["init_std"] = "0.2",
        });
    }

    public void Dispose() => _model.Dispose();

    private static readonly int[] Prompt = [72, 101, 108, 108, 111];

    /// <summary>Byte-level text: one character per id.</summary>
    private static string Decode(IReadOnlyList<int> ids) => new(ids.Select(id => (char)id).ToArray());

    /// <summary>Greedy continuation that re-runs the whole (cropped) sequence each step, without any cache.</summary>
    private List<int> GreedyWithoutCache(IReadOnlyList<int> prompt, int count)
    {
        var sequence = new List<int>(prompt);
        var generated = new List<int>();
        using var noGrad = Torch.NoGrad();
        _model.Eval();
        for (var step = 0; step < count; step++)
        {
            using var scope = TensorScope.Enter();
            var window = sequence.Skip(Math.Max(0, sequence.Count - Context)).Select(id => (long)id).ToArray();
            var logits = _model.Run(new Dictionary<string, Tensor> { ["tokens"] = Tensor.From(window, 1L, window.Length) }).Output;
            var next = (int)logits.Select(1, window.Length - 1).ArgMax(-1).ItemInt64();
            sequence.Add(next);
            generated.Add(next);
        }
        return generated;
    }

    [Fact]
    public void GreedyWithTheCacheEqualsGreedyRerunningTheSequence()
    {
        var result = new Generator(_model).Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20 });

        Assert.Equal(FinishReason.Length, result.Reason);
        Assert.Equal(0, result.ContextSlides); // 5 + 20 positions fit in 32: the cache path only
        Assert.Equal(GreedyWithoutCache(Prompt, 20), result.Tokens);
        Assert.Null(result.Seed);
        Assert.Equal(Prompt.Length, result.PromptTokens);
        Assert.True(result.Tokens.Distinct().Count() > 1, "degenerate model: every token is the same");
    }

    [Fact]
    public void GreedyIsDeterministic()
    {
        var generator = new Generator(_model);
        var first = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 12 });
        var second = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 12 });
        Assert.Equal(first.Tokens, second.Tokens);
    }

    [Fact]
    public void ContextSlidesPastTheModelsContext()
    {
        const int count = 50; // 5 + 50 > 32
        var result = new Generator(_model).Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = count });

        Assert.Equal(count, result.Tokens.Count);
        Assert.Equal(FinishReason.Length, result.Reason);
        // Steps run with sequence lengths 5 … 54; the cache serves those ≤ 32, the rest slide.
        Assert.Equal(Prompt.Length + count - 1 - Context, result.ContextSlides);
        Assert.Equal(GreedyWithoutCache(Prompt, count), result.Tokens);
    }

    [Fact]
    public void APromptLongerThanTheContextIsCropped()
    {
        var prompt = Enumerable.Range(0, 40).Select(i => (i * 37 + 11) % 256).ToArray();
        var result = new Generator(_model).Generate(prompt, SamplingOptions.Greedy with { MaxTokens = 6 });

        Assert.Equal(Context, result.PromptTokens);
        Assert.Equal(6, result.ContextSlides);
        Assert.Equal(GreedyWithoutCache(prompt, 6), result.Tokens);
    }

    [Fact]
    public void AStopStringStopsGenerationEvenAcrossTokens()
    {
        var generator = new Generator(_model);
        var free = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20 }).Tokens;
        var stop = Decode(free.Skip(5).Take(2).ToList());
        // Where the text first contains the stop string (it may occur before tokens 5–6).
        var stopAfter = Enumerable.Range(1, free.Count).First(n => Decode(free.Take(n).ToList()).Contains(stop, StringComparison.Ordinal));

        var streamed = new List<int>();
        var result = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20, Stop = ["never seen \u2603", stop] },
            streamed.Add, Decode);

        Assert.Equal(FinishReason.Stop, result.Reason);
        Assert.Equal(stop, result.StopString);
        Assert.Equal(free.Take(stopAfter), result.Tokens);
        Assert.Equal(result.Tokens, streamed);
        var fullText = Decode(result.Tokens);
        Assert.Equal(fullText[..fullText.IndexOf(stop, StringComparison.Ordinal)], result.Text);
    }

    [Fact]
    public void AStopStringThatNeverOccursRunsToTheLimit()
    {
        var result = new Generator(_model).Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 8, Stop = ["\u2603"] }, decode: Decode);
        Assert.Equal(FinishReason.Length, result.Reason);
        Assert.Equal(8, result.Tokens.Count);
        Assert.Equal(Decode(result.Tokens), result.Text);
        Assert.Null(result.StopString);
    }

    [Fact]
    public void AStopTokenStopsGenerationAndIsKept()
    {
        var generator = new Generator(_model);
        var free = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20 }).Tokens;
        var stopToken = free[3];
        var result = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20, StopTokens = [stopToken] });

        Assert.Equal(FinishReason.StopToken, result.Reason);
        Assert.Equal(free.Take(free.ToList().IndexOf(stopToken) + 1), result.Tokens);
    }

    [Fact]
    public void SamplingWithTheSameSeedRepeatsAndDifferentSeedsDiffer()
    {
        var generator = new Generator(_model);
        var options = new SamplingOptions { MaxTokens = 24, Seed = 11, Temperature = 1.2, TopK = 50, TopP = 0.95, RepetitionPenalty = 1.1 };

        var first = generator.Generate(Prompt, options);
        var again = generator.Generate(Prompt, options);
        var other = generator.Generate(Prompt, options with { Seed = 12 });

        Assert.Equal(11UL, first.Seed);
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.NotEqual(first.Tokens, other.Tokens);
    }

    [Fact]
    public void StreamsEveryTokenInOrderInEvalModeAndRestoresTrainingMode()
    {
        _model.Train();
        var streamed = new List<int>();
        var trainingSeen = new List<bool>();
        var result = new Generator(_model).Generate(Prompt, new SamplingOptions { MaxTokens = 10, Seed = 3 }, id =>
        {
            streamed.Add(id);
            trainingSeen.Add(_model.Training || Torch.IsGradEnabled);
        });

        Assert.Equal(result.Tokens, streamed);
        Assert.All(trainingSeen, Assert.False);
        Assert.True(_model.Training);
        Assert.True(Torch.IsGradEnabled);
    }

    [Fact]
    public void CancellationEndsGeneration()
    {
        using var cancellation = new CancellationTokenSource();
        var count = 0;
        var result = new Generator(_model).Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 20 },
            _ => { if (++count == 3) cancellation.Cancel(); }, cancellationToken: cancellation.Token);

        Assert.Equal(FinishReason.Cancelled, result.Reason);
        Assert.Equal(3, result.Tokens.Count);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var generator = new Generator(_model);
        Assert.Throws<ArgumentException>(() => generator.Generate([], SamplingOptions.Greedy));
        Assert.Throws<ArgumentException>(() => generator.Generate(Prompt, SamplingOptions.Greedy with { Stop = ["x"] }));
        Assert.Throws<ArgumentException>(() => generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = -1 }));
        var error = Assert.Throws<ArgumentException>(() => generator.Generate(Prompt, new SamplingOptions { Temperature = 0 }));
        Assert.Contains("greedy", error.Message, StringComparison.OrdinalIgnoreCase);

        var none = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 0 });
        Assert.Empty(none.Tokens);
        Assert.Equal(FinishReason.Length, none.Reason);
    }

    [Fact]
    public void LiveTensorsReturnToBaselineAndStayFlatWhileGenerating()
    {
        var generator = new Generator(_model);
        var baseline = LiveTensors.Settled();

        var liveDuring = new List<long>();
        var greedy = generator.Generate(Prompt, SamplingOptions.Greedy with { MaxTokens = 45, Stop = ["\u2603"] },
            _ => liveDuring.Add(Torch.LiveTensors), Decode);
        Assert.Equal(baseline, LiveTensors.Settled());
        Assert.True(greedy.ContextSlides > 0);
        // One level while the cache serves, another once the window slides: no growth per token.
        Assert.True(liveDuring.Distinct().Count() <= 2, $"live tensors while generating: {string.Join(", ", liveDuring.Distinct())}");

        generator.Generate(Prompt, new SamplingOptions { MaxTokens = 40, Seed = 1, RepetitionPenalty = 1.3, Temperature = 0.8, TopK = 20, TopP = 0.9 });
        Assert.Equal(baseline, LiveTensors.Settled());
    }
}
