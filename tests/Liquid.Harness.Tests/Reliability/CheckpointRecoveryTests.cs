using System.Diagnostics;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// A checkpoint save killed between its two folder moves leaves no latest/, only the complete old
/// (or new) folder beside it. Every command that loads a checkpoint puts it back, says so, and goes
/// on; a temporary folder is trusted only when its completion marker matches its files; leftovers of
/// killed saves are deleted once a newer checkpoint is in place.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CheckpointRecoveryTests : RunFolder
{
    private string TrainedRun(int steps = 4)
    {
        var run = Path.Combine(Folder, "run");
        var result = Liquid(Tiny(run, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(result.Code == 0, result.Error);
        return run;
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("generate")]
    [InlineData("run")]
    [InlineData("resume")]
    public void ACheckpointLeftBetweenTheTwoMovesIsRecovered(string command)
    {
        var run = TrainedRun();
        var latest = Path.Combine(run, "latest");
        Directory.Move(latest, Path.Combine(run, ".latest.old-1")); // the state a kill between the moves leaves
        var ids = Path.Combine(Folder, "ids.json");
        File.WriteAllText(ids, "[108, 105, 110, 101]");

        var result = command switch
        {
            "eval" => Liquid("eval", run, "--json"),
            "generate" => Liquid("generate", run, "--prompt", "line", "--max-tokens", "3"),
            "run" => Liquid("run", latest, "--input", ids, "--out", Path.Combine(Folder, "out.safetensors")),
            _ => Liquid("train", "--resume", run, "--steps", "6", "--sample-prompt", ""),
        };

        Assert.True(result.Code == 0, result.Error + result.Output);
        Assert.Contains($"recovered {latest} from .latest.old-1 (step 4): a save was interrupted before it finished moving folders", Flat(result.Error + result.Output));
        Assert.True(Directory.Exists(latest));
        Assert.False(Directory.Exists(Path.Combine(run, ".latest.old-1")));
        Assert.Equal(command == "resume" ? 6 : 4, Checkpoint.ReadInfo(run).Info.Step);
    }

    [Fact]
    public void WhileAnotherProcessHoldsTheFolderTheCandidateIsReadWhereItLies()
    {
        var run = TrainedRun();
        var old = Path.Combine(run, $".latest.old-{DeadPid()}");
        Directory.Move(Path.Combine(run, "latest"), old);
        // Another process holds the run's lock (flock(1), as a training run would): moving folders
        // under a live run would race its save, so the reader takes the old folder as it is.
        using var holder = Process.Start(new ProcessStartInfo("flock", [Path.Combine(run, RunLock.FileName), "sleep", "120"]) { UseShellExecute = false })!;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!RunLock.HeldByAnother(run, out _) && deadline.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
            var result = Liquid("eval", run, "--json");
            Assert.True(result.Code == 0, result.Error);
            Assert.DoesNotContain("recovered", result.Error);
            Assert.True(Directory.Exists(old));
            Assert.False(Directory.Exists(Path.Combine(run, "latest")));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
    }

    [Fact]
    public void TheNewestCompleteCandidateWinsAndAnIncompleteOneIsNotTrusted()
    {
        var run = TrainedRun();
        var latest = Path.Combine(run, "latest");
        int older = DeadPid(), newer = DeadPid(), killed = DeadPid();
        CopyFolder(latest, Path.Combine(run, $".latest.old-{older}")); // step 4
        Assert.Equal(0, Liquid("train", "--resume", run, "--steps", "6", "--sample-prompt", "").Code);
        // The newer folder was being moved into place: a complete .tmp (its marker lists its files).
        Directory.Move(latest, Path.Combine(run, $".latest.tmp-{newer}"));
        // A third, later save that was killed while writing: its marker no longer matches a file.
        var broken = Path.Combine(run, $".latest.tmp-{killed}");
        CopyFolder(Path.Combine(run, $".latest.tmp-{newer}"), broken);
        File.WriteAllText(Path.Combine(broken, "checkpoint.json"), File.ReadAllText(Path.Combine(broken, "checkpoint.json")).Replace("\"step\": 6", "\"step\": 9"));
        using (var weights = File.OpenWrite(Path.Combine(broken, "weights.safetensors"))) weights.SetLength(100);

        var result = Liquid("eval", run, "--json");
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains($"from .latest.tmp-{newer} (step 6)", result.Error);
        Assert.Equal(6, Checkpoint.ReadInfo(run).Info.Step);
        Assert.Empty(Directory.GetDirectories(run, ".latest.*")); // the older and the broken candidates are gone
    }

    [Fact]
    public void ATemporaryFolderWithoutItsMarkerIsNotACheckpoint()
    {
        var run = TrainedRun();
        var latest = Path.Combine(run, "latest");
        var temporary = Path.Combine(run, ".latest.tmp-5");
        Directory.Move(latest, temporary);
        File.Delete(Path.Combine(temporary, CheckpointRecovery.MarkerName)); // killed before the marker was written

        var result = Liquid("eval", run);
        Assert.Equal(1, result.Code);
        Assert.Equal($"liquid: error: '{run}' is not a checkpoint: it has no checkpoint.json", result.Error.Trim());
        Assert.True(Directory.Exists(temporary)); // not ours to delete while nothing newer exists
    }

    [Fact]
    public void LeftoversOfDeadProcessesGoOnceANewerCheckpointIsComplete()
    {
        var run = TrainedRun();
        var dead = DeadPid();
        foreach (var name in new[] { $".latest.tmp-{dead}", $".latest.old-{dead}", $".best.tmp-{dead}" })
        {
            Directory.CreateDirectory(Path.Combine(run, name));
            File.WriteAllBytes(Path.Combine(run, name, "weights.safetensors"), new byte[1000]);
        }
        // A folder of a live process (PID 1) may belong to a run forced into this folder: it stays.
        Directory.CreateDirectory(Path.Combine(run, ".latest.tmp-1"));

        var result = Liquid("train", "--resume", run, "--steps", "6", "--sample-prompt", "");
        Assert.True(result.Code == 0, result.Error);
        Assert.False(Directory.Exists(Path.Combine(run, $".latest.tmp-{dead}")));
        Assert.False(Directory.Exists(Path.Combine(run, $".latest.old-{dead}")));
        Assert.True(Directory.Exists(Path.Combine(run, ".latest.tmp-1")));
        // best/ is saved only when the validation loss improves; when it was, its leftover went too.
        if (Checkpoint.ReadInfo(Path.Combine(run, "best")).Info.Step == 6)
            Assert.False(Directory.Exists(Path.Combine(run, $".best.tmp-{dead}")));
    }

    [Fact]
    public void AnInvalidCheckpointFieldIsACheckpointError()
    {
        var run = TrainedRun(2);
        var file = Path.Combine(run, "latest", "checkpoint.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"step\": 2", "\"step\": -5").Replace("\"batch\": 4", "\"batch\": 0"));

        foreach (var args in new[] { new[] { "eval", run }, ["train", "--resume", run, "--steps", "9"] })
        {
            var result = Liquid(args);
            Assert.Equal(1, result.Code);
            Assert.Equal($"liquid: error: {file} is invalid: step is -5 (must be 0 or more); settings.batch is 0 (must be at least 1)", result.Error.Trim());
        }
    }

    /// <summary>The PID of a process that has ended (so no live process has it, barring reuse within the test).</summary>
    internal static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
