using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Training;

/// <summary>
/// A training run's settings after the model's recipe and the command line are combined. Saved in
/// every checkpoint; a resumed run uses the saved settings.
/// </summary>
public sealed record TrainSettings
{
    /// <summary>Data source spec (path or builtin:…).</summary>
    public required string Data { get; init; }
    /// <summary>JSONL field holding the text.</summary>
    public string? Field { get; init; }
    /// <summary>Tokenizer spec: gpt2, byte, char or bpe:N.</summary>
    public required string Tokenizer { get; init; }
    /// <summary>Total optimizer steps (0: derived from <see cref="Epochs"/> and the corpus size).</summary>
    public long Steps { get; init; }
    /// <summary>Passes over the training tokens, used when Steps is 0.</summary>
    public int? Epochs { get; init; }
    /// <summary>Sequences per micro-batch.</summary>
    public int Batch { get; init; }
    /// <summary>Tokens per sequence.</summary>
    public int Context { get; init; }
    /// <summary>Micro-batches per optimizer step.</summary>
    public int Accumulate { get; init; } = 1;
    /// <summary>Optimizer kind.</summary>
    public OptimizerKind Optimizer { get; init; }
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; }
    /// <summary>Adam β₁.</summary>
    public double Beta1 { get; init; }
    /// <summary>Adam β₂.</summary>
    public double Beta2 { get; init; }
    /// <summary>Adam ε.</summary>
    public double Eps { get; init; }
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; }
    /// <summary>Weight decay on matrices and embeddings.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Warmup steps, or null for <see cref="WarmupFraction"/> of all steps.</summary>
    public long? Warmup { get; init; }
    /// <summary>Warmup as a share of all steps.</summary>
    public double WarmupFraction { get; init; }
    /// <summary>Schedule after warmup.</summary>
    public ScheduleKind Schedule { get; init; }
    /// <summary>Floor of the cosine schedules.</summary>
    public double MinLearningRate { get; init; }
    /// <summary>First cycle of warm restarts.</summary>
    public long RestartPeriod { get; init; } = 1000;
    /// <summary>Growth of restart cycles.</summary>
    public long RestartMultiplier { get; init; } = 1;
    /// <summary>Plateau factor.</summary>
    public double PlateauFactor { get; init; } = 0.5;
    /// <summary>Plateau patience (evaluations).</summary>
    public int PlateauPatience { get; init; } = 2;
    /// <summary>Gradient-norm clip.</summary>
    public double? Clip { get; init; }
    /// <summary>Evaluate every N steps (0: ten times per run).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Validation batches per evaluation.</summary>
    public int EvalBatches { get; init; } = 8;
    /// <summary>Save latest/ every N steps (0: at every evaluation).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Seed of weights, data order and dropout.</summary>
    public ulong Seed { get; init; }
    /// <summary>Intra-op threads.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>cpu or cuda[:N].</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Early stopping patience (evaluations), or null.</summary>
    public int? Patience { get; init; }
    /// <summary>Smallest validation improvement that counts.</summary>
    public double MinDelta { get; init; }
    /// <summary>Record activation and gradient statistics every N steps in activations.jsonl (0: off).</summary>
    public int MonitorEvery { get; init; }
    /// <summary>Consecutive non-finite losses before restoring the last checkpoint with a lower rate.</summary>
    public int NonFiniteLimit { get; init; } = 3;
    /// <summary>Restores of latest/ (each halving the learning rate) before a diverging run stops.</summary>
    public int NonFiniteRestoreLimit { get; init; } = 8;
    /// <summary>Share of tokens held out for validation when the data has no split.</summary>
    public double ValidationShare { get; init; } = 0.05;

    /// <summary>
    /// These settings with everything that depends on the corpus size made concrete: steps from
    /// epochs, warmup from its fraction, evaluation and checkpoint intervals.
    /// </summary>
    public TrainSettings Resolve(long trainItems, long itemsPerBatch)
    {
        // An epoch is one pass over the training tokens (language models) or examples (the rest).
        var itemsPerStep = itemsPerBatch * Accumulate;
        var steps = Steps > 0 ? Steps : Math.Max(1, (long)Math.Ceiling((Epochs ?? 1) * (double)trainItems / itemsPerStep));
        var evalEvery = EvalEvery > 0 ? EvalEvery : (int)Math.Max(1, steps / 10);
        return this with
        {
            Steps = steps,
            Warmup = Warmup ?? (long)Math.Round(WarmupFraction * steps),
            EvalEvery = evalEvery,
            CheckpointEvery = CheckpointEvery > 0 ? CheckpointEvery : evalEvery,
        };
    }

    /// <summary>The learning-rate schedule these settings describe (plateau is driven separately); call on resolved settings.</summary>
    public ILearningRateSchedule BuildSchedule()
    {
        var warmup = Warmup ?? 0;
        var start = warmup > 0 ? 1.0 / warmup : 1.0;
        return Schedule switch
        {
            ScheduleKind.Cosine => new WarmupCosineSchedule(LearningRate, MinLearningRate, warmup, Math.Max(Steps, warmup + 1), start),
            ScheduleKind.CosineRestarts => new AfterWarmup(new LinearWarmupSchedule(LearningRate, warmup, start), warmup,
                new CosineWarmRestartsSchedule(LearningRate, MinLearningRate, RestartPeriod, RestartMultiplier)),
            _ => new LinearWarmupSchedule(LearningRate, warmup, start),
        };
    }

    /// <summary>Warmup, then another schedule counted from the end of warmup.</summary>
    private sealed record AfterWarmup(ILearningRateSchedule First, long Switch, ILearningRateSchedule Then) : ILearningRateSchedule
    {
        public double LearningRate(long step) => step < Switch ? First.LearningRate(step) : Then.LearningRate(step - Switch);
    }
}
