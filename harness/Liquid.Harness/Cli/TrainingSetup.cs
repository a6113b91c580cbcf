using Liquid.Harness.Training;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>Combines a model's recipe with command-line options into <see cref="TrainSettings"/>.</summary>
internal static class TrainingSetup
{
    /// <summary>The options of <c>liquid train</c>; null means "use the recipe".</summary>
    public sealed record Overrides(string? Data, string? Field, string? Tokenizer, long? Steps, int? Epochs, int? Batch, int? Context,
        double? LearningRate, long? Warmup, string? Schedule, double? Clip, int? Accumulate, int? EvalEvery, int? CheckpointEvery,
        ulong Seed, int Threads, string Device, int? Patience, double? MinDelta, int? MonitorEvery = null);

    public static TrainSettings Settings(TrainingRecipe recipe, long? modelContext, Overrides o)
    {
        var context = o.Context ?? (int)(recipe.Context ?? Math.Min(modelContext ?? 256, 256));
        var batch = o.Batch ?? recipe.Batch;
        var accumulate = o.Accumulate ?? recipe.Accumulate;
        Positive(context, "--context");
        Positive(batch, "--batch");
        Positive(accumulate, "--accumulate");
        if (o.Steps is < 1) throw new ConfigException($"--steps must be at least 1, not {o.Steps}");
        if (o.Epochs is < 1) throw new ConfigException($"--epochs must be at least 1, not {o.Epochs}");
        // Explicit --steps or --epochs win; otherwise the recipe's steps, then its epochs.
        var epochs = o.Steps is null ? o.Epochs ?? (recipe.Steps is null ? recipe.Epochs : null) : null;
        var steps = epochs is not null ? 0 : o.Steps ?? recipe.Steps ?? 1000;
        OptionChecks.Positive(o.LearningRate, "--lr");
        OptionChecks.AtLeast(o.Warmup, 0, "--warmup", "0 or more");
        OptionChecks.AtLeast(o.EvalEvery, 0, "--eval-every", "0 (ten evaluations per run) or more");
        OptionChecks.AtLeast(o.CheckpointEvery, 0, "--checkpoint-every", "0 (at every evaluation) or more");
        OptionChecks.NotNegative(o.Clip, "--clip", "0 (no clipping) or a positive number");
        OptionChecks.AtLeast(o.Patience, 1, "--patience", "at least 1");
        OptionChecks.NotNegative(o.MinDelta, "--min-delta", "0 or a positive number");
        OptionChecks.AtLeast(o.Threads, 1, "--threads", "at least 1");
        OptionChecks.AtLeast(o.MonitorEvery, 1, "--monitor", "at least 1 (record every N-th step)");
        var schedule = o.Schedule?.ToLowerInvariant() switch
        {
            null => recipe.Schedule,
            "constant" => ScheduleKind.Constant,
            "cosine" => ScheduleKind.Cosine,
            "cosine-restarts" => ScheduleKind.CosineRestarts,
            "plateau" => ScheduleKind.Plateau,
            var other => throw new ConfigException($"--schedule '{other}' is not constant, cosine, cosine-restarts or plateau"),
        };
        return new TrainSettings
        {
            Data = o.Data ?? recipe.Data ?? "builtin:fortunes",
            Field = o.Field,
            Tokenizer = o.Tokenizer ?? recipe.Tokenizer ?? "byte",
            Steps = steps,
            Epochs = epochs,
            Batch = batch,
            Context = context,
            Accumulate = accumulate,
            Optimizer = recipe.Optimizer,
            LearningRate = o.LearningRate ?? recipe.LearningRate,
            Beta1 = recipe.Beta1,
            Beta2 = recipe.Beta2,
            Eps = recipe.Eps,
            Momentum = recipe.Momentum,
            WeightDecay = recipe.EffectiveWeightDecay,
            Warmup = o.Warmup ?? recipe.Warmup,
            WarmupFraction = recipe.WarmupFraction,
            Schedule = schedule,
            MinLearningRate = recipe.MinLearningRate,
            RestartPeriod = recipe.RestartPeriod,
            RestartMultiplier = recipe.RestartMultiplier,
            PlateauFactor = recipe.PlateauFactor,
            PlateauPatience = recipe.PlateauPatience,
            Clip = o.Clip is { } clip ? (clip > 0 ? clip : null) : recipe.ClipGradNorm,
            EvalEvery = o.EvalEvery ?? 0,
            CheckpointEvery = o.CheckpointEvery ?? 0,
            Seed = o.Seed,
            Threads = o.Threads,
            Device = o.Device,
            Patience = o.Patience ?? recipe.EarlyStoppingPatience,
            MinDelta = o.MinDelta ?? recipe.EarlyStoppingMinDelta,
            MonitorEvery = o.MonitorEvery ?? 0,
        };
    }

    private static void Positive(long value, string name)
    {
        if (value < 1) throw new ConfigException($"{name} must be at least 1, not {value}");
    }
}
