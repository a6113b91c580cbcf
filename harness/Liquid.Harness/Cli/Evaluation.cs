using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>What <c>liquid eval</c> measures, always through the model's own objective.</summary>
internal static class Evaluation
{
    /// <summary>A language model on a token sequence: the objective per scored token, perplexity and top-k accuracy.</summary>
    public sealed record TokenMetrics(long Tokens, double Loss, double Perplexity, double Top1, double Top3, double Top5, double Top10);

    /// <summary>
    /// Slides windows of <paramref name="context"/> tokens by <paramref name="stride"/>; in each window
    /// only the tokens not scored by an earlier window count (the others' targets are set to the
    /// objective's ignored id), so with stride &lt; context every token but the first window's is
    /// predicted with at least context − stride tokens of history. The loss is the model's objective,
    /// averaged over the scored tokens.
    /// </summary>
    public static TokenMetrics ScoreTokens(CompiledModel model, int[] ids, int context, int stride)
    {
        if (ids.Length < 2) throw new ArgumentException($"evaluation needs at least 2 tokens, the text has {ids.Length}");
        if (context < 1 || stride < 1 || stride > context) throw new ArgumentException($"need 1 ≤ stride ≤ context, got stride {stride} and context {context}");
        var (input, target) = TrainingData.LanguageModel(model.Inputs, model.Targets)
            ?? throw new ArgumentException($"{model.Info.Name} is not a language model; evaluate it on examples (--data with its inputs and targets)");
        var ignored = model.ObjectiveTerms.FirstOrDefault(t => t.Target == target.Name && t.IgnoreIndex is not null)?.IgnoreIndex ?? -100;
        model.Eval();
        using var noGrad = Torch.NoGrad();
        var scores = new ObjectiveScores(model);
        double lossSum = 0;
        long tokens = 0;
        long scoredUpTo = 0; // targets at positions < scoredUpTo are done
        for (long start = 0; start < ids.Length - 1; start += stride)
        {
            var length = (int)Math.Min(context, ids.Length - 1 - start);
            var firstNew = (int)Math.Max(0, scoredUpTo - start);
            using var scope = TensorScope.Enter();
            var inputs = ids.Skip((int)start).Take(length).Select(i => (long)i).ToArray();
            var targets = ids.Skip((int)start + 1).Take(length).Select((id, t) => t < firstNew ? ignored : id).ToArray();
            var batch = new Batch(
                new Dictionary<string, Tensor> { [input.Name] = Tensor.From<long>(inputs, [1, length]) },
                new Dictionary<string, Tensor> { [target.Name] = Tensor.From<long>(targets, [1, length]) }, 1);
            using var output = model.Run(batch.Inputs);
            var before = scores.Scored;
            scores.Add(output, batch);
            var scored = scores.Scored - before;
            // The objective is a mean over the window's scored tokens: weigh it by them.
            lossSum += scores.LastTotal * scored;
            tokens += scored;
            scoredUpTo = start + length;
            if (start + length >= ids.Length - 1) break;
        }
        var loss = lossSum / tokens;
        var top = scores.TopK!;
        return new TokenMetrics(tokens, loss, Math.Exp(loss), top[1], top[3], top[5], top[10]);
    }

    /// <summary>A model on named examples: the objective and, per its terms, accuracy or regression errors.</summary>
    public sealed record ExampleMetrics(long Examples, double Loss, IReadOnlyDictionary<string, double> Terms, double? Accuracy,
        IReadOnlyDictionary<int, double>? TopK, double? MeanSquaredError, double? MeanAbsoluteError);

    /// <summary>Scores every batch of <paramref name="batches"/> (a split of the data, in order).</summary>
    public static ExampleMetrics ScoreExamples(CompiledModel model, IEnumerable<Batch> batches)
    {
        model.Eval();
        using var noGrad = Torch.NoGrad();
        var scores = new ObjectiveScores(model);
        foreach (var batch in batches)
        {
            using var scope = TensorScope.Enter();
            using var output = model.Run(batch.Inputs);
            scores.Add(output, batch);
        }
        if (scores.Rows == 0) throw new ArgumentException("the split to evaluate is empty");
        return new ExampleMetrics(scores.Rows, scores.Loss, scores.Terms, scores.Accuracy, scores.TopK, scores.MeanSquaredError, scores.MeanAbsoluteError);
    }
}
