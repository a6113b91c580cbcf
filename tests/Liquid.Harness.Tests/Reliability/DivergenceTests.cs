using System.Text.Json.Nodes;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Harness.Training;
using Liquid.Runtime;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>
/// Learning rates that blow training up: the run either recovers (skips non-finite steps, restores
/// latest/ with half the rate) or stops with one clear line; metrics.jsonl stays valid JSON lines
/// throughout, and latest/ only ever holds finite weights.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class DivergenceTests : RunFolder
{
    [Theory]
    [InlineData("30")]
    [InlineData("1e308")]
    public void AHugeLearningRateRecoversOrStopsClearly(string lr)
    {
        var run = Path.Combine(Folder, "run");
        var result = Liquid(Tiny(run, "--steps", "40", "--lr", lr, "--checkpoint-every", "5", "--eval-every", "10"));

        if (result.Code != 0)
        {
            Assert.Equal(1, result.Code);
            var line = Assert.Single(result.Error.Trim().Split('\n'));
            Assert.StartsWith("liquid: error: training diverged: the loss or gradient stayed non-finite after 8 restores of", line);
            Assert.EndsWith("start again with a lower --lr", line);
        }
        var metrics = Metrics(run); // parses every line: throws on an invalid one
        Assert.NotEmpty(metrics);
        foreach (var m in metrics)
            foreach (var (key, value) in m)
                if (value is JsonValue number && number.TryGetValue<double>(out var x))
                    Assert.True(double.IsFinite(x), $"{key} = {x}");

        var (directory, info) = Checkpoint.ReadInfo(run);
        using var model = Checkpoint.LoadModel(directory, info);
        using var scope = TensorScope.Enter();
        Assert.All(model.Parameters(), p => Assert.True(p.IsFinite().All().Item() != 0));
    }

    [Fact]
    public void AtTheLargestRateEverySkipAndRestoreIsRecorded()
    {
        var run = Path.Combine(Folder, "run");
        var result = Liquid(Tiny(run, "--steps", "40", "--lr", "1e308", "--checkpoint-every", "5"));
        // 1e308 halved 8 times is still about 4e305: the run cannot recover and must say so.
        Assert.Equal(1, result.Code);
        var metrics = Metrics(run);
        var skipped = metrics.Where(m => m["skipped"] is not null).ToList();
        var restored = metrics.Where(m => m["restored"] is not null).ToList();
        Assert.Equal(8, restored.Count);
        Assert.Equal(9 * 3, skipped.Count); // three in a row before each restore, and before giving up
        Assert.All(skipped, m => Assert.Contains(m["skipped"]!.GetValue<string>(), new[] { "non-finite loss", "non-finite gradient" }));
        Assert.Equal([0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625], restored.Select(m => m["lr_scale"]!.GetValue<double>()));
    }

    [Fact]
    public void WeightsWhoseValidationLossIsNotFiniteAreNeverTheCheckpointRestored()
    {
        // At --lr 100 the weights of some evaluated steps are finite but overflow the forward pass
        // (val_loss null). Saving them as latest/ made every restore diverge again until the run
        // gave up; kept out of latest/, the restores go back to weights that work, and the run ends.
        var run = Path.Combine(Folder, "run");
        var result = Liquid(Tiny(run, "--steps", "20", "--lr", "100", "--warmup", "0", "--checkpoint-every", "2", "--eval-every", "2"));

        var metrics = Metrics(run);
        var overflowing = metrics.Where(m => m.ContainsKey("val_loss") && m["val_loss"] is null).Select(m => m["step"]!.GetValue<long>()).ToHashSet();
        var restored = metrics.Where(m => m["restored"] is not null).Select(m => m["step"]!.GetValue<long>()).ToList();
        Assert.NotEmpty(overflowing); // the case this test is about happened
        Assert.NotEmpty(restored);
        Assert.All(restored, step => Assert.DoesNotContain(step, overflowing));
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("the validation loss of these weights is not finite; latest/ keeps its previous checkpoint", Flat(result.Output));
    }

    [Fact]
    public void NonFiniteNumbersAreWrittenAsNull()
    {
        var path = Path.Combine(Folder, "metrics.jsonl");
        using (var log = new MetricsLog(path, keepUpTo: 0))
        {
            log.Step(new StepMetrics(1, 2.5, double.PositiveInfinity, double.NaN, double.NegativeInfinity, TimeSpan.FromSeconds(1)));
            log.Evaluation(1, double.NaN);
            log.Skipped(2, double.NaN, double.PositiveInfinity);
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal("{\"step\":1,\"train_loss\":2.5,\"lr\":null,\"tokens_per_s\":null,\"grad_norm\":null,\"elapsed_s\":1}", lines[0]);
        Assert.Equal("{\"step\":1,\"val_loss\":null}", lines[1]);
        Assert.Equal("{\"step\":2,\"skipped\":\"non-finite loss\",\"loss\":\"NaN\",\"grad_norm\":\"Infinity\"}", lines[2]);
    }
}
