using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// A stop that arrives between the micro-batches of an accumulated step abandons the step; the data
/// position and RNG go back to the step's start, so the resumed run still equals the uninterrupted one.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class AbandonedStepTests : RunFolder
{
    private sealed class CancelSoonAfter(long step, CancellationTokenSource cancel) : ITrainingObserver
    {
        public void Step(StepMetrics metrics, long totalSteps)
        {
            // One millisecond into the next step, which spends its time in 8 micro-batches.
            if (metrics.Step == step) cancel.CancelAfter(1);
        }

        public void Evaluated(long step, double validationLoss, bool best) { }

        public void Message(string text) { }
    }

    private TrainSettings Settings() => new()
    {
        Data = Corpus, Tokenizer = "byte", Steps = 12, Batch = 2, Context = 16, Accumulate = 8,
        LearningRate = 3e-3, Beta1 = 0.9, Beta2 = 0.95, Eps = 1e-8, WeightDecay = 0.1, Warmup = 2,
        Schedule = global::Liquid.Runtime.Models.ScheduleKind.Cosine, MinLearningRate = 3e-4, Clip = 1.0,
        EvalEvery = 100, CheckpointEvery = 100, Seed = 3,
    };

    private static readonly Dictionary<string, string> Config = new()
    {
        ["d_model"] = "32", ["layers"] = "1", ["heads"] = "2", ["context"] = "32", ["dropout"] = "0.1",
    };

    [Fact]
    public void AStopBetweenMicroBatchesResumesExactly()
    {
        var straight = Path.Combine(Folder, "straight");
        new Trainer("tiny-gpt", new(Config), Settings(), straight, new CancelSoonAfter(-1, new())).Run(CancellationToken.None);

        var stopped = Path.Combine(Folder, "stopped");
        using var cancel = new CancellationTokenSource();
        var first = new Trainer("tiny-gpt", new(Config), Settings(), stopped, new CancelSoonAfter(4, cancel)).Run(cancel.Token);
        Assert.Equal(TrainOutcome.Interrupted, first.Outcome);
        Assert.InRange(first.Step, 4, 5);

        Trainer.Resume(stopped, new CancelSoonAfter(-1, new())).Run(CancellationToken.None);
        Assert.Equal(Losses(straight), Losses(stopped));
    }
}
