using Liquid.Harness.Cli;
using Liquid.Harness.Training;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Metrics;

/// <summary>
/// <c>liquid eval</c>'s perplexity is exp of the mean −log p(next token), not of the objective: for
/// liquid-foundation-tiny, whose objective adds label smoothing, a focal term and auxiliary losses,
/// the two differ, and the perplexity must equal the one computed here from the logits alone.
/// </summary>
public sealed class TokenScoreTests
{
    [Fact]
    public void PerplexityIsTheExponentialOfTheNextTokenNllWhateverTheObjectiveAdds()
    {
        Torch.ManualSeed(5);
        var info = Catalog.Find("liquid-foundation-tiny");
        using var model = info.Create(new Dictionary<string, string>());
        var random = new Random(3);
        var ids = Enumerable.Range(0, 100).Select(_ => random.Next(256)).ToArray();
        const int context = 32;

        var metrics = Evaluation.ScoreTokens(model, ids, context, context);

        // The same windows (each token scored once), log-softmax written out in double.
        var logitsName = model.ObjectiveTerms.First(t => t.Kind == "cross_entropy").Input;
        double nll = 0;
        long tokens = 0;
        model.Eval();
        using (Torch.NoGrad())
        {
            for (var start = 0; start < ids.Length - 1; start += context)
            {
                using var scope = TensorScope.Enter();
                var length = Math.Min(context, ids.Length - 1 - start);
                var input = Tensor.From<long>(ids.Skip(start).Take(length).Select(i => (long)i).ToArray(), [1, length]);
                using var output = model.Run(new Dictionary<string, Tensor> { [model.Inputs[0].Name] = input });
                var logits = output.Values[logitsName].To(DType.Float64).ToArray<double>();
                var vocabulary = logits.Length / length;
                for (var t = 0; t < length; t++)
                {
                    var row = logits.AsSpan(t * vocabulary, vocabulary);
                    var max = double.NegativeInfinity;
                    foreach (var v in row) max = Math.Max(max, v);
                    double sum = 0;
                    foreach (var v in row) sum += Math.Exp(v - max);
                    nll += max + Math.Log(sum) - row[ids[start + t + 1]];
                    tokens++;
                }
            }
        }

        Assert.Equal(tokens, metrics.Tokens);
        Assert.Equal(Math.Exp(nll / tokens), metrics.Perplexity, Math.Exp(nll / tokens) * 1e-9);
        // The objective is not the NLL here (smoothing alone adds about 0.1·(mean −log p over the
        // vocabulary − NLL)), so exp(objective) would have been a different, wrong perplexity.
        Assert.True(metrics.Loss > nll / tokens + 0.1, $"objective {metrics.Loss} vs NLL {nll / tokens}");
    }
}
