using Liquid.Harness.Generation;
using Liquid.Harness.Metrics;
using Liquid.Harness.Text;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>What <c>liquid eval</c> measures, always through the model's own objective.</summary>
internal static class Evaluation
{
    /// <summary>
    /// A language model on a token sequence: the objective per scored token, perplexity (exp of the
    /// mean −log p(next token), not of the objective, which may add smoothing, focal or auxiliary
    /// terms) and top-k accuracy.
    /// </summary>
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
        var scores = new ObjectiveScores(model, nextTokenNll: true);
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
        return new TokenMetrics(tokens, loss, Math.Exp(scores.MeanNll!.Value), top[1], top[3], top[5], top[10]);
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

    /// <summary>
    /// How a language model continues held-out text: teacher-forced token and sequence accuracy on
    /// the second halves (<paramref name="Prediction"/>), and the text metrics of its greedy
    /// continuations of the first halves against the second (<paramref name="Text"/>).
    /// </summary>
    public sealed record ContinuationMetrics(int Samples, int PromptTokens, int ContinuationTokens, PredictionReport Prediction, GenerationReport Text);

    /// <summary>
    /// Cuts <paramref name="samples"/> windows of 2·<paramref name="half"/> tokens, spread evenly over
    /// <paramref name="ids"/>; the model continues each window's first half greedily for
    /// <paramref name="half"/> tokens, and the continuation's words (<see cref="GenerationMetrics.Words"/>
    /// of the decoded text) are compared with the second half's. The same windows, teacher-forced,
    /// give the accuracies of the second half's tokens (a sequence counts when all of them are right).
    /// </summary>
    public static ContinuationMetrics ScoreContinuations(CompiledModel model, ITokenizer tokenizer, int[] ids, int samples, int half,
        IProgress<int>? progress = null)
    {
        if (samples < 1) throw new ArgumentException($"need at least one sample, got {samples}");
        if (half < 1) throw new ArgumentException($"each half needs at least one token, got {half}");
        var window = 2 * half;
        if (ids.Length < window) throw new ArgumentException($"continuations of {half} tokens after {half} need {window} tokens, the text has {ids.Length}");
        var (input, _) = TrainingData.LanguageModel(model.Inputs, model.Targets)
            ?? throw new ArgumentException($"{model.Info.Name} is not a language model");
        samples = Math.Min(samples, ids.Length / window);
        model.Eval();
        using var noGrad = Torch.NoGrad();
        var prediction = new PredictionMetrics();
        var generator = new Generator(model);
        var options = SamplingOptions.Greedy with { MaxTokens = half };
        var pairs = new List<(IReadOnlyList<string> Hypothesis, IReadOnlyList<string> Reference)>(samples);
        for (var i = 0; i < samples; i++)
        {
            var start = samples == 1 ? 0 : (int)((long)i * (ids.Length - window) / (samples - 1));
            var prompt = ids.AsSpan(start, half).ToArray();
            var reference = ids.AsSpan(start + half, half).ToArray();
            using (var scope = TensorScope.Enter())
            {
                // Inputs are the window but its last token; only targets in the second half count.
                var inputs = ids.AsSpan(start, window - 1).ToArray().Select(id => (long)id).ToArray();
                var targets = ids.AsSpan(start + 1, window - 1).ToArray().Select((id, t) => t < half - 1 ? -100L : id).ToArray();
                using var output = model.Run(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [input.Name] = Tensor.From<long>(inputs, [1, window - 1]) });
                prediction.Add(output.Output, Tensor.From<long>(targets, [1, window - 1]));
            }
            var continuation = generator.Generate(prompt, options);
            pairs.Add((GenerationMetrics.Words(tokenizer.Decode(continuation.Tokens.ToArray())), GenerationMetrics.Words(tokenizer.Decode(reference))));
            progress?.Report(i + 1);
        }
        return new ContinuationMetrics(samples, half, half, prediction.Report(), GenerationMetrics.Compute(pairs));
    }
}
