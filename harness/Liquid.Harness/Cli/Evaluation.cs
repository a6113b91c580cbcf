using Liquid.Runtime;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>Scores a token sequence with a model: loss, perplexity and top-k accuracy.</summary>
internal static class Evaluation
{
    /// <summary>Averages over every scored token (honest counts: each token scored exactly once).</summary>
    public sealed record Metrics(long Tokens, double Loss, double Perplexity, double Top1, double Top3, double Top5, double Top10);

    /// <summary>
    /// Slides windows of <paramref name="context"/> tokens by <paramref name="stride"/>; in each window
    /// only the tokens not scored by an earlier window count, so with stride &lt; context every token
    /// but the first window's is predicted with at least context − stride tokens of history.
    /// </summary>
    public static Metrics Score(CompiledModel model, int[] ids, int context, int stride)
    {
        if (ids.Length < 2) throw new ArgumentException($"evaluation needs at least 2 tokens, the text has {ids.Length}");
        if (context < 1 || stride < 1 || stride > context) throw new ArgumentException($"need 1 ≤ stride ≤ context, got stride {stride} and context {context}");
        model.Eval();
        using var noGrad = Torch.NoGrad();
        double lossSum = 0;
        long tokens = 0, top1 = 0, top3 = 0, top5 = 0, top10 = 0;
        long scoredUpTo = 0; // targets at positions < scoredUpTo are done
        for (long start = 0; start < ids.Length - 1; start += stride)
        {
            var length = (int)Math.Min(context, ids.Length - 1 - start);
            var firstNew = (int)Math.Max(0, scoredUpTo - start);
            using var scope = TensorScope.Enter();
            var inputs = Tensor.From<long>(ids.Skip((int)start).Take(length).Select(i => (long)i).ToArray(), [1, length]);
            using var output = model.Run(new Dictionary<string, Tensor> { ["tokens"] = inputs });
            var logits = output.Output.Select(0, 0).Narrow(0, firstNew, length - firstNew).To(DType.Float64);
            var targets = Tensor.From<long>(ids.Skip((int)start + 1 + firstNew).Take(length - firstNew).Select(i => (long)i).ToArray(), [length - firstNew]);
            lossSum += Functional.CrossEntropy(logits, targets, Reduction.Sum).Item();
            var (_, best) = logits.TopK(Math.Min(10, logits.Size(-1)), -1);
            var hits = best.Eq(targets.Unsqueeze(1));
            var hitRank = hits.ToArray<bool>();
            var k = (int)best.Size(1);
            for (var row = 0; row < length - firstNew; row++)
            {
                var rank = Array.IndexOf(hitRank, true, row * k, k) is var at and >= 0 ? at - row * k : int.MaxValue;
                if (rank < 1) top1++;
                if (rank < 3) top3++;
                if (rank < 5) top5++;
                if (rank < 10) top10++;
            }
            tokens += length - firstNew;
            scoredUpTo = start + length;
            if (start + length >= ids.Length - 1) break;
        }
        var loss = lossSum / tokens;
        return new Metrics(tokens, loss, Math.Exp(loss), (double)top1 / tokens, (double)top3 / tokens, (double)top5 / tokens, (double)top10 / tokens);
    }
}
