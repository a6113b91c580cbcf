using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;
using Liquid.Runtime;
using Liquid.Runtime.Nn;
using Liquid.Runtime.Serialization;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// <c>kill -9</c> at random moments of a short run (while it trains, evaluates or is between the
/// two moves of a checkpoint save), each followed by <c>--resume</c>: after every kill the run
/// folder holds a checkpoint that loads (weights and optimizer state), and the run, finished
/// at last, has the same weights, bit for bit, and the same loss curve as a run never interrupted.
/// scripts/kill-soak.sh does the same with more kills and a longer run.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class KillResumeTests : RunFolder
{
    private const int Kills = 10;
    // Long enough that no kill lands after the end (about 17 ms a step here, a kill within 250 ms of
    // a start): 60 steps were done before the second kill.
    private const int Steps = 400;

    [Fact]
    public void RandomKillsThenResumeEqualAnUninterruptedRun()
    {
        string[] Settings(string run) => Tiny(run, "--steps", Steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--checkpoint-every", "2", "--eval-every", "10", "--seed", "5");
        var straight = Path.Combine(Folder, "straight");
        var reference = Liquid(Settings(straight));
        Assert.True(reference.Code == 0, reference.Error);

        var run = Path.Combine(Folder, "killed");
        var random = new Random(20261204);
        var kills = 0;
        var attempts = 0;
        while (true)
        {
            Assert.True(++attempts < 60, "the run never completed");
            var resumable = HasCheckpoint(run);
            using var child = new LiquidProcess(Cache, resumable ? ["train", "--resume", run, "--sample-prompt", ""] : Settings(run));
            if (kills == Kills)
            {
                var code = child.WaitForExit(TimeSpan.FromMinutes(3));
                Assert.True(code == 0, $"final resume failed ({code}):\n{child.Output}\n{child.Error}");
                break;
            }
            // Somewhere between start-up and a few hundred milliseconds of steps and saves.
            child.WaitForOutput(resumable ? "resumed" : "step 1/", TimeSpan.FromMinutes(3));
            Thread.Sleep(random.Next(0, 250));
            // Every kill must land on a run still training, or the loop tests less than it says.
            Assert.False(child.HasExited, $"kill {kills + 1} came after the run had ended:\n{child.Output}");
            child.Signal("KILL");
            Assert.Equal(137, child.WaitForExit(TimeSpan.FromMinutes(1)));
            kills++;
            if (HasCheckpoint(run)) AssertLoads(run);
        }

        Assert.Equal(Steps, Checkpoint.ReadInfo(run).Info.Step);
        AssertSameWeights(Path.Combine(straight, "latest", "weights.safetensors"), Path.Combine(run, "latest", "weights.safetensors"));
        Assert.Equal(Losses(straight), Losses(run));
        // Once a newer checkpoint is in place, no leftover of the killed saves remains.
        Assert.Empty(Directory.GetDirectories(run, ".latest.*"));
    }

    private static bool HasCheckpoint(string run)
    {
        try
        {
            Checkpoint.ReadInfo(run);
            return true;
        }
        catch (CheckpointException)
        {
            return false; // killed before its first save finished
        }
    }

    private static void AssertLoads(string run)
    {
        var (directory, info) = Checkpoint.ReadInfo(run);
        using var model = Checkpoint.LoadModel(directory, info);
        using var optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(model, info.Settings.LearningRate, info.Settings.WeightDecay), new AdamOptions(1e-3));
        Checkpoint.LoadOptimizer(directory, optimizer);
        Checkpoint.LoadTokenizer(directory);
    }

    private static void AssertSameWeights(string expectedPath, string actualPath)
    {
        var expected = TensorFile.Load(expectedPath);
        var actual = TensorFile.Load(actualPath);
        try
        {
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, tensor) in expected)
                Assert.True(tensor.ToArray<float>().AsSpan().SequenceEqual(actual[name].ToArray<float>()), $"{name} differs from the uninterrupted run");
        }
        finally
        {
            foreach (var tensor in expected.Values.Concat(actual.Values)) tensor.Dispose();
        }
    }
}
