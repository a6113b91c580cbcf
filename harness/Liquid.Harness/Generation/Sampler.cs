using Liquid.Runtime;

namespace Liquid.Harness.Generation;

/// <summary>
/// Chooses next tokens from scores: runs the processors of <see cref="SamplingOptions"/> in Hugging Face's
/// order (repetition penalty, temperature, top-k, top-p), then takes the argmax (greedy) or draws from the
/// softmax (sample) with libtorch's generator.
/// </summary>
/// <remarks>
/// Sampling draws from libtorch's global CPU generator; call <see cref="Seed"/> once at the start of a
/// generation so that the same seed gives the same tokens.
/// </remarks>
public sealed class Sampler
{
    /// <summary>Creates a sampler; throws <see cref="ArgumentException"/> if the options are invalid.</summary>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Processors = options.CreateProcessors();
        Options = options;
    }

    /// <summary>The options this sampler follows.</summary>
    public SamplingOptions Options { get; }

    /// <summary>The processors applied before choosing, in order.</summary>
    public IReadOnlyList<ILogitsProcessor> Processors { get; }

    /// <summary>True when a processor reads the history (the repetition penalty).</summary>
    public bool NeedsHistory => Processors.Any(p => p is RepetitionPenalty);

    /// <summary>
    /// Seeds libtorch's generator (<see cref="Torch.ManualSeed"/>) for a new generation when sampling: with
    /// <see cref="SamplingOptions.Seed"/>, or with a random seed if none was given. Returns the seed used,
    /// or null for greedy decoding, which draws nothing.
    /// </summary>
    public ulong? Seed()
    {
        if (Options.Strategy != SamplingStrategy.Sample) return null;
        var seed = Options.Seed ?? (ulong)Random.Shared.NextInt64(long.MaxValue);
        Torch.ManualSeed(seed);
        return seed;
    }

    /// <summary>Applies the processors in order to scores <c>[V]</c> or <c>[B, V]</c>; returns new scores.</summary>
    /// <param name="logits">Floating-point scores, not modified.</param>
    /// <param name="history">Ids so far, <c>[S]</c> or <c>[B, S]</c>; required when <see cref="NeedsHistory"/>.</param>
    public Tensor Process(Tensor logits, Tensor? history = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = TensorScope.Enter();
        var scores = logits;
        foreach (var processor in Processors) scores = processor.Apply(scores, history);
        return scope.Keep(ReferenceEquals(scores, logits) ? logits.Clone() : scores);
    }

    /// <summary>
    /// Chooses one id per row: int64 <c>[]</c> for scores <c>[V]</c>, <c>[B]</c> for <c>[B, V]</c>.
    /// </summary>
    public Tensor Choose(Tensor logits, Tensor? history = null)
    {
        using var scope = TensorScope.Enter();
        var scores = Process(logits, history);
        var last = scores.Rank - 1;
        var chosen = Options.Strategy == SamplingStrategy.Greedy
            ? scores.ArgMax(last)
            : scores.Softmax(last).Multinomial(1).Squeeze(last);
        return scope.Keep(chosen);
    }

    /// <summary>Chooses the next id of one sequence from its scores <c>[V]</c> (or <c>[1, V]</c>) and its ids so far.</summary>
    public int Next(Tensor logits, IReadOnlyList<int> history)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(history);
        using var scope = TensorScope.Enter();
        var row = logits.Rank == 2 && logits.Size(0) == 1 ? logits.Select(0, 0) : logits;
        if (row.Rank != 1)
            throw new ArgumentException($"Next takes the scores of one sequence, [V] or [1, V]; got [{string.Join(", ", logits.Shape)}]", nameof(logits));
        Tensor? ids = null;
        if (NeedsHistory)
        {
            var values = new long[history.Count];
            for (var i = 0; i < values.Length; i++) values[i] = history[i];
            ids = Tensor.From(values, values.LongLength);
        }
        return checked((int)Choose(row, ids).ItemInt64());
    }
}
