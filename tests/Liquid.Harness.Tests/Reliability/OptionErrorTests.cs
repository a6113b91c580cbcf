using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// Every bad option value is exit code 1 and exactly one line that names the option and says what
/// it takes, in words: no CLR type name, no help screen, no stack trace.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class OptionErrorTests : RunFolder
{
    [Theory]
    [InlineData("train tiny-gpt --steps abc", "--steps takes a whole number, not 'abc'")]
    [InlineData("train tiny-gpt --steps 1.5", "--steps takes a whole number, not '1.5'")]
    [InlineData("train tiny-gpt --batch 99999999999", "--batch takes a whole number up to 2147483647, not '99999999999'")]
    [InlineData("train tiny-gpt --lr fast", "--lr takes a number (e.g. 0.001 or 1e-3), not 'fast'")]
    [InlineData("train tiny-gpt --seed -1", "--seed takes a whole number, 0 or more, not '-1'")]
    [InlineData("train tiny-gpt --steps", "--steps needs a value: a whole number")]
    [InlineData("generate x --top-k many", "--top-k takes a whole number, not 'many'")]
    [InlineData("generate x --top-p NaN", "--top-p must be in (0, 1], not NaN")]
    [InlineData("generate x --top-p 1.5", "--top-p must be in (0, 1], not 1.5")]
    [InlineData("generate x --temperature NaN", "--temperature must be a positive number, not NaN (for the most likely token at every step use --strategy greedy)")]
    [InlineData("generate x --temperature 0", "--temperature must be a positive number, not 0 (for the most likely token at every step use --strategy greedy)")]
    [InlineData("generate x --max-tokens -1", "--max-tokens must be 0 or more, not -1")]
    [InlineData("generate x --top-k -1", "--top-k must be at least 1, or 0 for no limit, not -1")]
    [InlineData("generate x --repetition-penalty 0", "--repetition-penalty must be a positive number, not 0")]
    [InlineData("bench tiny-gpt --seconds soon", "--seconds takes a number (e.g. 0.001 or 1e-3), not 'soon'")]
    [InlineData("train tiny-gpt --warmup -1", "--warmup must be 0 or more, not -1")]
    [InlineData("train tiny-gpt --eval-every -2", "--eval-every must be 0 (ten evaluations per run) or more, not -2")]
    [InlineData("train tiny-gpt --checkpoint-every -3", "--checkpoint-every must be 0 (at every evaluation) or more, not -3")]
    [InlineData("train tiny-gpt --clip -1", "--clip must be 0 (no clipping) or a positive number, not -1")]
    [InlineData("train tiny-gpt --clip NaN", "--clip must be 0 (no clipping) or a positive number, not NaN")]
    [InlineData("train tiny-gpt --lr NaN", "--lr must be a positive number, not NaN")]
    [InlineData("train tiny-gpt --lr Infinity", "--lr must be a positive number, not Infinity")]
    [InlineData("train tiny-gpt --lr 0", "--lr must be a positive number, not 0")]
    [InlineData("train tiny-gpt --min-delta NaN", "--min-delta must be 0 or a positive number, not NaN")]
    [InlineData("train tiny-gpt --min-delta -0.1", "--min-delta must be 0 or a positive number, not -0.1")]
    [InlineData("train tiny-gpt --patience 0", "--patience must be at least 1, not 0")]
    [InlineData("train tiny-gpt --threads 0", "--threads must be at least 1, not 0")]
    [InlineData("train tiny-gpt --monitor 0", "--monitor must be at least 1 (record every N-th step), not 0")]
    [InlineData("train tiny-gpt --monitor often", "--monitor takes a whole number, not 'often'")]
    [InlineData("train tiny-gpt --batch 0", "--batch must be at least 1, not 0")]
    [InlineData("bench tiny-gpt --batch 0", "--batch must be at least 1, not 0")]
    [InlineData("bench tiny-gpt --context -4", "--context must be at least 1, not -4")]
    [InlineData("bench tiny-gpt --seconds 0", "--seconds must be a positive number, not 0")]
    [InlineData("bench tiny-gpt --threads 0", "--threads must be at least 1, not 0")]
    [InlineData("inspect tiny-gpt --set dropout=NaN", "dropout must be a number, not 'NaN'")]
    public void BadOptionIsOneLine(string command, string message)
    {
        var result = Liquid(command.Split(' '));
        Assert.Equal(1, result.Code);
        Assert.Equal($"liquid: error: {message}", result.Error.Trim());
        Assert.DoesNotContain("System.", result.Error);
        Assert.Equal("", result.Output.Trim()); // no help screen
    }

    [Fact]
    public void UnknownOptionPointsToHelp()
    {
        var result = Liquid("train", "tiny-gpt", "--bogus");
        Assert.Equal(1, result.Code);
        Assert.Equal("liquid: error: Unrecognized command or argument '--bogus'. (see liquid train --help)", result.Error.Trim());
    }

    [Fact]
    public void ResumeRejectsWhatItCannotHonour()
    {
        var run = Path.Combine(Folder, "run");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "6")).Code);

        var output = Liquid("train", "--resume", run, "--out", Path.Combine(Folder, "elsewhere"));
        Assert.Equal(1, output.Code);
        Assert.Equal($"liquid: error: --out cannot be used with --resume: a resumed run continues in its own folder ({run}); to branch a run, copy its folder and resume the copy", output.Error.Trim());

        var lr = Liquid("train", "--resume", run, "--lr", "0.1");
        Assert.Equal(1, lr.Code);
        Assert.Equal("liquid: error: --lr cannot be used with --resume: the run continues with the settings saved in its checkpoint (only --steps, --threads and --sample-prompt apply)", lr.Error.Trim());

        var below = Liquid("train", "--resume", run, "--steps", "4");
        Assert.Equal(1, below.Code);
        Assert.Equal("liquid: error: --steps 4 is below the step this run has reached (6); pass a total above 6 to train further", below.Error.Trim());

        var done = Liquid("train", "--resume", run);
        Assert.Equal(0, done.Code);
        Assert.Contains("the run is already at step 6 of 6: nothing to train; pass --steps N with N above 6 to train further", Flat(done.Output));
        Assert.DoesNotContain("completed", done.Output);
        Assert.Equal(6, Checkpoint.ReadInfo(run).Info.Step);
    }

    [Fact]
    public void ExtendingStepsOnResumeSaysHowTheScheduleChanges()
    {
        var run = Path.Combine(Folder, "run");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "10", "--warmup", "2", "--schedule", "cosine", "--lr", "0.01")).Code);
        var resumed = Liquid("train", "--resume", run, "--steps", "20", "--sample-prompt", "");
        Assert.True(resumed.Code == 0, resumed.Error);

        // The recipe's floor (tiny-gpt: min_lr 1e-4) and the cosine in closed form:
        // lr(t) = min + (max − min)·(1 + cos(π·(t − warmup)/(steps − warmup)))/2, t counted from 0.
        static double Cosine(long t, long steps) => 1e-4 + (0.01 - 1e-4) * (1 + Math.Cos(Math.PI * (t - 2) / (steps - 2))) / 2;
        var message = System.FormattableString.Invariant(
            $"--steps 20 (the run was set for 10): the cosine schedule now decays over 20 steps, so the learning rate at step 10 is {Cosine(10, 20):G3} instead of {Cosine(10, 10):G3}");
        Assert.Contains(message, Flat(resumed.Output));
        var step11 = Metrics(run).Single(m => m["step"]!.GetValue<long>() == 11 && m["lr"] is not null);
        Assert.Equal(Cosine(10, 20), step11["lr"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void ExtendingStepsWithinTheWarmupSaysTheRateStays()
    {
        // Stopped inside its warmup, the run's next rate does not depend on the total: the message
        // must not claim a change ("is 0.005 instead of 0.005").
        var run = Path.Combine(Folder, "run");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "4", "--warmup", "6", "--schedule", "cosine", "--lr", "0.01")).Code);
        var resumed = Liquid("train", "--resume", run, "--steps", "20", "--sample-prompt", "");
        Assert.True(resumed.Code == 0, resumed.Error);
        var step5 = Metrics(run).Single(m => m["step"]!.GetValue<long>() == 5 && m["lr"] is not null)["lr"]!.GetValue<double>();
        Assert.Contains(System.FormattableString.Invariant(
            $"--steps 20 (the run was set for 4): the cosine schedule now decays over 20 steps, from step 4 on (its rate there stays {step5:G3})"), Flat(resumed.Output));
        Assert.DoesNotContain("instead of", resumed.Output);
    }
}
