using System.Text.Json.Nodes;
using Liquid.Harness.Cli;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.EndToEnd;

/// <summary>
/// A run interrupted and resumed from its checkpoint continues exactly: its loss curve equals the
/// uninterrupted run's, step for step, to the last bit.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("liquid-resume-").FullName;

    public ResumeTests() => Environment.SetEnvironmentVariable("LIQUID_CACHE", Path.Combine(_folder, "cache"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class StopAt(long step, CancellationTokenSource cancel) : ITrainingObserver
    {
        public void Step(StepMetrics metrics, long totalSteps)
        {
            if (metrics.Step == step) cancel.Cancel();
        }

        public void Evaluated(long step, double validationLoss, bool best) { }

        public void Message(string text) { }
    }

    private TrainSettings Settings(string corpus) => new()
    {
        Data = corpus,
        Tokenizer = "byte",
        Steps = 24,
        Batch = 4,
        Context = 16,
        LearningRate = 3e-3,
        Beta1 = 0.9,
        Beta2 = 0.95,
        Eps = 1e-8,
        WeightDecay = 0.1,
        Warmup = 4,
        Schedule = Liquid.Runtime.Models.ScheduleKind.Cosine,
        MinLearningRate = 3e-4,
        Clip = 1.0,
        EvalEvery = 6,
        CheckpointEvery = 6,
        Seed = 7,
    };

    private static readonly Dictionary<string, string> Config = new()
    {
        ["d_model"] = "32", ["layers"] = "2", ["heads"] = "2", ["context"] = "32", ["dropout"] = "0.1",
    };

    [Fact]
    public void ResumedLossCurveEqualsTheUninterruptedOne()
    {
        var corpus = CliTests.WriteCorpus(_folder);
        var straight = Path.Combine(_folder, "straight");
        var interrupted = Path.Combine(_folder, "interrupted");

        var full = new Trainer("tiny-gpt", new(Config), Settings(corpus), straight, new StopAt(-1, new CancellationTokenSource())).Run(CancellationToken.None);
        Assert.Equal(TrainOutcome.Completed, full.Outcome);

        using var cancel = new CancellationTokenSource();
        var first = new Trainer("tiny-gpt", new(Config), Settings(corpus), interrupted, new StopAt(10, cancel)).Run(cancel.Token);
        Assert.Equal(TrainOutcome.Interrupted, first.Outcome);
        Assert.Equal(10, first.Step);

        var rest = Trainer.Resume(interrupted, new StopAt(-1, new CancellationTokenSource())).Run(CancellationToken.None);
        Assert.Equal(TrainOutcome.Completed, rest.Outcome);

        var expected = Losses(straight);
        var actual = Losses(interrupted);
        Assert.Equal(24, expected.Count);
        // Dropout is on (0.1), so this also proves the RNG state is restored.
        Assert.Equal(expected, actual);
        Assert.True(expected[^1].Loss < expected[0].Loss, "the loss should fall");
    }

    private static List<(long Step, double Loss)> Losses(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(n => n["train_loss"] is not null)
            .Select(n => (n["step"]!.GetValue<long>(), n["train_loss"]!.GetValue<double>())).ToList();
}
