namespace Liquid.Harness.Data;

/// <summary>
/// Draws training windows of context + 1 tokens at uniformly random offsets. The generator is a
/// SplitMix64 counter whose one-word state goes into checkpoints, so a resumed run draws exactly the
/// batches the uninterrupted run would have.
/// </summary>
public sealed class Batcher(TokenCorpus corpus, int batch, int context, ulong state)
{
    /// <summary>The generator state (the "data position" saved with a checkpoint).</summary>
    public ulong State { get; private set; } = state;

    /// <summary>Inputs and next-token targets, each batch × context, row-major.</summary>
    public (long[] Inputs, long[] Targets) Next()
    {
        var span = corpus.TrainCount - context - 1;
        if (span < 0) throw new DataException($"the training split has {corpus.TrainCount} tokens, fewer than context + 1 = {context + 1}; use a smaller --context or more data");
        var inputs = new long[batch * context];
        var targets = new long[batch * context];
        var window = new int[context + 1];
        for (var row = 0; row < batch; row++)
        {
            var offset = (long)(NextUInt64() % (ulong)(span + 1));
            corpus.ReadTrain(offset, window);
            for (var t = 0; t < context; t++)
            {
                inputs[row * context + t] = window[t];
                targets[row * context + t] = window[t + 1];
            }
        }
        return (inputs, targets);
    }

    private ulong NextUInt64()
    {
        State += 0x9E3779B97F4A7C15UL;
        var z = State;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
