using System.Diagnostics;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// A run folder is locked while a run writes it: a second run on it refuses and names the first
/// one's PID, leaving the first run's files intact; the lock a killed run leaves is taken over.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class RunLockTests : RunFolder
{
    [Fact]
    public void ASecondRunOnTheSameFolderRefusesAndNothingIsCorrupt()
    {
        var run = Path.Combine(Folder, "shared");
        using var first = new LiquidProcess(Cache, Tiny(run, "--steps", "1000000", "--checkpoint-every", "7", "--eval-every", "1000000"));
        SignalTests.WaitForSteps(first, run, 5);

        var fresh = Liquid(Tiny(run, "--steps", "20"));
        var resume = Liquid("train", "--resume", run, "--steps", "2000000");
        foreach (var second in new[] { fresh, resume })
        {
            Assert.Equal(1, second.Code);
            Assert.Equal($"liquid: error: run folder {run} is in use by another liquid run (process {first.Pid}); wait for it to finish, choose another --out, or pass --force to write it anyway",
                second.Error.Trim());
        }

        first.Signal("INT");
        Assert.Equal(130, first.WaitForExit(TimeSpan.FromMinutes(3)));
        // One history: steps 1, 2, … with no gap or repeat, every line JSON, and a checkpoint at the last one.
        var steps = Losses(run).Select(l => l.Step).ToList();
        Assert.Equal(Enumerable.Range(1, steps.Count).Select(i => (long)i), steps);
        var (directory, info) = Checkpoint.ReadInfo(run);
        Assert.Equal(steps[^1], info.Step);
        using var model = Checkpoint.LoadModel(directory, info);
        Assert.Empty(Directory.GetDirectories(run, ".latest.*"));
    }

    [Fact]
    public void TheLockOfAKilledRunIsTakenOver()
    {
        var run = Path.Combine(Folder, "killed");
        int pid;
        using (var child = new LiquidProcess(Cache, Tiny(run, "--steps", "1000000", "--checkpoint-every", "3", "--eval-every", "1000000")))
        {
            SignalTests.WaitForSteps(child, run, 4);
            pid = child.Pid;
            child.Signal("KILL");
            child.WaitForExit(TimeSpan.FromMinutes(1));
        }
        Assert.Equal($"{pid}\n", File.ReadAllText(Path.Combine(run, RunLock.FileName))); // what the killed run left

        var step = Checkpoint.ReadInfo(run).Info.Step;
        var resumed = Liquid("train", "--resume", run, "--steps", (step + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), "--sample-prompt", "");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains($"took over the lock of {Path.Combine(run, RunLock.FileName)} from process {pid}, which is no longer running (killed or crashed)", Flat(resumed.Output));
        Assert.Equal("", File.ReadAllText(Path.Combine(run, RunLock.FileName))); // a clean end empties it
    }

    [Fact]
    public void ALockHeldByAnotherProgramRefusesUnlessForced()
    {
        var run = Path.Combine(Folder, "held");
        Directory.CreateDirectory(run);
        var lockFile = Path.Combine(run, RunLock.FileName);
        // flock(1) holds the same kind of lock from another process; it writes no PID.
        using var holder = Process.Start(new ProcessStartInfo("flock", [lockFile, "sleep", "120"]) { UseShellExecute = false })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!RunLock.HeldByAnother(run, out _) && deadline.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);

            var refused = Liquid(Tiny(run, "--steps", "2"));
            Assert.Equal(1, refused.Code);
            Assert.Equal($"liquid: error: run folder {run} is in use by another liquid run (another process); wait for it to finish, choose another --out, or pass --force to write it anyway", refused.Error.Trim());
            Assert.False(Directory.Exists(Path.Combine(run, "latest")));

            var forced = Liquid(Tiny(run, "--steps", "2", "--force"));
            Assert.True(forced.Code == 0, forced.Error);
            Assert.Contains($"--force: writing {run} although another process holds its lock", Flat(forced.Output));
            Assert.Equal(2, Checkpoint.ReadInfo(run).Info.Step);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
    }

    [Fact]
    public void AFreshRunDoesNotOverwriteAFinishedOneWithoutForce()
    {
        var run = Path.Combine(Folder, "done");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "3")).Code);

        var again = Liquid(Tiny(run, "--steps", "2"));
        Assert.Equal(1, again.Code);
        Assert.Equal($"liquid: error: {run} already holds a tiny-gpt run (latest/ at step 3); continue it with --resume {run}, choose another --out, or pass --force to start over in it", again.Error.Trim());
        Assert.Equal(3, Checkpoint.ReadInfo(run).Info.Step);

        var forced = Liquid(Tiny(run, "--steps", "2", "--force"));
        Assert.True(forced.Code == 0, forced.Error);
        Assert.Equal(2, Checkpoint.ReadInfo(run).Info.Step);
        Assert.Equal([1L, 2L], Losses(run).Select(l => l.Step));
    }

    [Fact]
    public void ForceRemovesThePreviousRunsBestBeforeTheNewRunHasOne()
    {
        var run = Path.Combine(Folder, "done");
        Assert.Equal(0, Liquid(Tiny(run, "--steps", "3")).Code);
        Assert.True(Directory.Exists(Path.Combine(run, "best")));

        // Stopped before its first evaluation after step 0, the new run has no best/ of its own: an
        // old one left behind would pass for this run's in a later resume or eval.
        var forced = Liquid(new CancellationToken(canceled: true), Tiny(run, "--steps", "2", "--force"));
        Assert.True(forced.Code == 130, forced.Error + forced.Output);
        Assert.False(Directory.Exists(Path.Combine(run, "best")));
        Assert.Equal(0, Checkpoint.ReadInfo(run).Info.Step);
    }
}
