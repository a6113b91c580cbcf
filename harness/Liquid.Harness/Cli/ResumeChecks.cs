using System.CommandLine;
using System.Globalization;
using Liquid.Harness.Training;
using Liquid.Runtime.Models;

namespace Liquid.Harness.Cli;

/// <summary>
/// What <c>liquid train --resume</c> accepts: a resumed run continues with the settings saved in its
/// checkpoint, in its own folder, so options that would change them are errors rather than silently
/// ignored; only <c>--steps</c> (a new total), <c>--threads</c> and <c>--sample-prompt</c> apply.
/// </summary>
internal static class ResumeChecks
{
    /// <summary>Throws for the first option in <paramref name="fixedByTheRun"/> that was given with --resume.</summary>
    public static void RejectOptions(ParseResult result, IEnumerable<Option> fixedByTheRun, string from)
    {
        foreach (var option in fixedByTheRun)
        {
            if (!Commands.Given(result, option)) continue;
            if (option.Name == "--out")
                throw new ConfigException($"--out cannot be used with --resume: a resumed run continues in its own folder ({RunFolder(from)}); to branch a run, copy its folder and resume the copy");
            throw new ConfigException($"{option.Name} cannot be used with --resume: the run continues with the settings saved in its checkpoint (only --steps, --threads and --sample-prompt apply)");
        }
    }

    /// <summary>The run folder of a --resume argument (a run folder, or a checkpoint folder inside one), without touching it.</summary>
    public static string RunFolder(string from)
    {
        var full = Path.GetFullPath(from);
        if (File.Exists(Path.Combine(full, "checkpoint.json"))) return Path.GetDirectoryName(full)!;
        return Directory.Exists(full) ? full : Path.GetDirectoryName(full)!;
    }

    /// <summary>
    /// Throws when <paramref name="steps"/> is below the checkpoint's step; returns true (after saying
    /// so) when the run has already reached its total, so there is nothing to train.
    /// </summary>
    public static bool NothingToDo(CheckpointInfo info, long? steps, Action<string> message)
    {
        var total = steps ?? info.Settings.Steps;
        if (steps is { } asked && asked < info.Step)
            throw new ConfigException($"--steps {asked} is below the step this run has reached ({info.Step}); pass a total above {info.Step} to train further");
        if (total > info.Step) return false;
        message($"the run is already at step {info.Step} of {total}: nothing to train; pass --steps N with N above {info.Step} to train further");
        return true;
    }

    /// <summary>
    /// A new --steps re-sizes the schedule (a cosine decays over the new total, so the learning rate
    /// at the resume step changes); says from what to what.
    /// </summary>
    public static void ReportScheduleChange(CheckpointInfo info, long? steps, Action<string> message)
    {
        if (steps is not { } total || total == info.Settings.Steps || info.Settings.Schedule is not (ScheduleKind.Cosine)) return;
        var before = info.Settings.BuildSchedule().LearningRate(info.Step) * info.LearningRateScale;
        var after = (info.Settings with { Steps = total }).BuildSchedule().LearningRate(info.Step) * info.LearningRateScale;
        // Within the warmup the rate does not depend on the total yet: only the decay moves.
        var now = after.ToString("G3", CultureInfo.InvariantCulture) == before.ToString("G3", CultureInfo.InvariantCulture)
            ? string.Create(CultureInfo.InvariantCulture, $"from step {info.Step} on (its rate there stays {after:G3})")
            : string.Create(CultureInfo.InvariantCulture, $"so the learning rate at step {info.Step} is {after:G3} instead of {before:G3}");
        message($"--steps {total} (the run was set for {info.Settings.Steps}): the cosine schedule now decays over {total} steps, {now}");
    }

    /// <summary>
    /// A fresh run into a folder that already holds a run would replace its checkpoints: refused
    /// unless <paramref name="force"/> (then best/ of the old run is removed, so it cannot pass for this run's).
    /// </summary>
    public static void RefuseToOverwrite(string folder, bool force, Action<string> message)
    {
        if (!Directory.Exists(folder)) return;
        CheckpointInfo existing;
        try
        {
            existing = Checkpoint.ReadInfo(folder, message).Info;
        }
        catch (CheckpointException)
        {
            return; // no usable run in it
        }
        if (!force)
            throw new ConfigException($"{folder} already holds a {existing.Model} run (latest/ at step {existing.Step}); continue it with --resume {folder}, choose another --out, or pass --force to start over in it");
        var best = Path.Combine(folder, "best");
        if (Directory.Exists(best)) Directory.Delete(best, recursive: true);
        message($"--force: starting over in {folder}; its previous run (step {existing.Step}) is replaced");
    }
}
