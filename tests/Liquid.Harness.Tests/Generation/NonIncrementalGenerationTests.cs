using Liquid.Harness.Generation;
using Liquid.Models;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Tests.Generation;

/// <summary>
/// A model whose embedding mixes the whole sequence (liquid-foundation-tiny, <c>ModelInfo.Incremental</c>
/// false) is decoded by re-running its window for every token: greedy generation equals the argmax of a
/// full forward per step, within the context and after it slides.
/// </summary>
[Collection(GenerationCollection.Name)]
public sealed class NonIncrementalGenerationTests : IDisposable
{
    private const int Context = 12;
    private readonly CompiledModel _model;

    public NonIncrementalGenerationTests()
    {
        Torch.ManualSeed(77);
        _model = LiquidFoundationTiny.ModelInfo.Create(new Dictionary<string, string>
        {
            ["context"] = Context.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["d_model"] = "32",
            ["layers"] = "1",
            ["window"] = "6",
            ["ff"] = "32",
            ["lstm_hidden"] = "8",
        });
    }

    public void Dispose() => _model.Dispose();

    private List<int> GreedyByFullForwards(IReadOnlyList<int> prompt, int count)
    {
        var sequence = new List<int>(prompt);
        using var noGrad = Torch.NoGrad();
        _model.Eval();
        for (var step = 0; step < count; step++)
        {
            using var scope = TensorScope.Enter();
            var window = sequence.Skip(Math.Max(0, sequence.Count - Context)).Select(id => (long)id).ToArray();
            var logits = _model.Run(new Dictionary<string, Tensor> { ["tokens"] = Tensor.From(window, 1L, window.Length) }).Output;
            sequence.Add((int)logits.Select(1, window.Length - 1).ArgMax(-1).ItemInt64());
        }
        return sequence.Skip(prompt.Count).ToList();
    }

    [Fact]
    public void GreedyRerunsTheWindowForEveryToken()
    {
        Assert.False(_model.Info.Incremental);
        Assert.True(TinyGpt.ModelInfo.Incremental);
        int[] prompt = [72, 111, 108, 97];
        var generator = new Generator(_model);
        generator.Generate(prompt, SamplingOptions.Greedy with { MaxTokens = 1 }); // the rotary tables are built on first use and kept
        var live = Torch.LiveTensors;
        var result = generator.Generate(prompt, SamplingOptions.Greedy with { MaxTokens = 14 });
        Assert.Equal(live, Torch.LiveTensors); // the outputs' losses and measurements are freed every step
        Assert.Equal(GreedyByFullForwards(prompt, 14), result.Tokens);
        // Token n is predicted from 4 + n − 1 positions; from n = 10 on that is more than 12: 5 slides.
        Assert.Equal(5, result.ContextSlides);
    }
}
