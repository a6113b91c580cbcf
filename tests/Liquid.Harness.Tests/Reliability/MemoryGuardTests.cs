using System.Text.Json.Nodes;
using Liquid.Harness.Cli;
using Liquid.Harness.Tests.EndToEnd;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Tests.Reliability;

/// <summary>A config for <see cref="FakeForward.Entry"/>: two integer values with defaults, built from overrides like a generated one.</summary>
public sealed record FakeConfig
{
    public long Width { get; init; } = 8;
    public long Layers { get; init; } = 2;
    public double Dropout { get; init; } = 0.1;

    public static FakeConfig FromOverrides(IReadOnlyDictionary<string, string> overrides)
    {
        var config = new FakeConfig();
        foreach (var (name, text) in overrides)
        {
            config = name switch
            {
                "width" => config with { Width = ConfigValue.ParseInt(name, text) },
                "layers" => config with { Layers = ConfigValue.ParseInt(name, text) },
                "dropout" => config with { Dropout = ConfigValue.ParseFloat(name, text) },
                _ => throw new ConfigException($"no config value '{name}'"),
            };
        }
        if (config.Width < 1) throw new ConfigException($"width must be at least 1, not {config.Width}");
        return config;
    }
}

/// <summary>
/// Forward passes that keep a known number of bytes alive: a float32 [1, T, 65536] tensor (256 KiB
/// per token), or a [1, T, T, 16] one (64·T² bytes per sequence, like attention scores of 16 heads).
/// Large, so the few KiB the runtime's own threads allocate or free meanwhile stay small beside them.
/// </summary>
internal static class FakeForward
{
    public static readonly ModelInfo Entry = new("fake", "Fake", "test", typeof(FakeConfig), 1000, _ => throw new NotSupportedException("never built"));

    public static IDisposable Linear(int context) => Tensor.Ones([1, context, 65536]);

    public static IDisposable Quadratic(int context) => Tensor.Ones([1, context, context, 16]);
}

/// <summary>
/// The memory guard: parameter estimates before a model exists (exact when the catalog counts them,
/// an upper bound otherwise), the activation probe against allocations of known size, refusals
/// with their numbers, and the command line refusing absurd sizes before allocating anything.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class MemoryGuardTests(Xunit.Abstractions.ITestOutputHelper log) : RunFolder
{
    private static readonly Dictionary<string, string> None = new();

    [Fact]
    public void AnExactCountComesFromTheCatalog()
    {
        var info = FakeForward.Entry with { CountParameters = o => 1000 * FakeConfig.FromOverrides(o).Layers };
        var estimate = MemoryGuard.EstimateParameters(info, new Dictionary<string, string> { ["layers"] = "7" })!.Value;
        Assert.Equal(new MemoryGuard.ParameterEstimate(7000, true), estimate);

        MemoryGuard.CheckModel(info, new Dictionary<string, string> { ["layers"] = "7" }, 4, "for its weights", false, _ => { }, available: 28_000);
        var refused = Assert.Throws<ConfigException>(() =>
            MemoryGuard.CheckModel(info, new Dictionary<string, string> { ["layers"] = "7" }, 4, "for its weights", false, _ => { }, available: 27_999));
        Assert.Equal("fake with layers=7 needs 27 KB for its weights (7,000 parameters × 4 bytes); this machine has 27 KB available. Use a smaller config, or pass --allow-oversubscribe to try anyway", refused.Message);

        var warnings = new List<string>();
        MemoryGuard.CheckModel(info, new Dictionary<string, string> { ["layers"] = "7" }, 4, "for its weights", true, warnings.Add, available: 27_999);
        Assert.EndsWith("going on because of --allow-oversubscribe", Assert.Single(warnings));
    }

    [Fact]
    public void ACountTooLargeFor64BitsIsRefused()
    {
        var info = FakeForward.Entry with { CountParameters = _ => throw new OverflowException() };
        var refused = Assert.Throws<ConfigException>(() => MemoryGuard.CheckModel(info, new Dictionary<string, string> { ["width"] = "1e18" }, 4, "for its weights", false, _ => { }, available: 1L << 40));
        Assert.Equal("fake with width=1e18 needs more than 8 EB for its weights (more parameters than a 64-bit count holds); this machine has 1.0 TB available. Use a smaller config, or pass --allow-oversubscribe to try anyway", refused.Message);
    }

    [Fact]
    public void WithoutACountTheBoundScalesEachLargerValueSquared()
    {
        Assert.Equal(new MemoryGuard.ParameterEstimate(1000, true), MemoryGuard.EstimateParameters(FakeForward.Entry, None));
        // width 8 → 24 (×9) and layers 2 → 4 (×4); smaller values and floats do not shrink the bound.
        var estimate = MemoryGuard.EstimateParameters(FakeForward.Entry, new Dictionary<string, string> { ["width"] = "24", ["layers"] = "4", ["dropout"] = "0.5" });
        Assert.Equal(new MemoryGuard.ParameterEstimate(36_000, false), estimate);
        Assert.Equal(1000, MemoryGuard.EstimateParameters(FakeForward.Entry, new Dictionary<string, string> { ["layers"] = "1" })!.Value.Count);
        // The config is validated on the way, with its own message.
        Assert.Equal("width must be at least 1, not 0", Assert.Throws<ConfigException>(() => MemoryGuard.EstimateParameters(FakeForward.Entry, new Dictionary<string, string> { ["width"] = "0" })).Message);
    }

    [Theory]
    [InlineData("layers=8")]
    [InlineData("d_model=256")]
    [InlineData("d_model=64,layers=3,heads=2")]
    [InlineData("vocab_size=1000,context=256")]
    public void TheBoundIsNeverBelowTheRealCount(string sets)
    {
        var overrides = sets.Split(',').ToDictionary(s => s.Split('=')[0], s => s.Split('=')[1]);
        var info = global::Liquid.Harness.Training.Catalog.Find("tiny-gpt");
        var estimate = MemoryGuard.EstimateParameters(info, overrides)!.Value;
        using var model = info.Create(overrides);
        Assert.InRange(model.ParameterCount, 1, estimate.Count);
    }

    [Fact]
    public void TheProbeMeasuresWhatTheForwardPassKeeps()
    {
        var bytes = MemoryGuard.ActivationBytesPerSequence(FakeForward.Linear, 16, double.MaxValue, out var extrapolated);
        Assert.False(extrapolated);
        const double expected = 16 * 65536 * 4; // the [1, 16, 65536] float32 output: 4 MiB
        Assert.InRange(bytes, expected - 64 * 1024, expected + 64 * 1024);
    }

    [Fact]
    public void LongContextsAreExtrapolatedBeforeTheyAreRun()
    {
        // 64·T² bytes: 1 GiB at T = 4096, over a budget of 1 MiB, so only 32, 64 and 128 are run.
        var bytes = MemoryGuard.ActivationBytesPerSequence(FakeForward.Quadratic, 4096, budget: 1 << 20, out var extrapolated);
        Assert.True(extrapolated);
        Assert.InRange(bytes, 64.0 * 4096 * 4096 * 0.95, 64.0 * 4096 * 4096 * 1.05);
    }

    [Fact]
    public void ABatchThatDoesNotFitIsRefusedWithTheBatchThatWould()
    {
        var perSequence = MemoryGuard.ActivationBytesPerSequence(FakeForward.Linear, 16, double.MaxValue, out _);
        var available = 64L << 20; // 64 MiB: 12 sequences of 4 MiB × 1.25
        const long fixedBytes = 1 << 20; // gradients and optimizer state
        var fits = (long)Math.Floor((available - fixedBytes) / (perSequence * MemoryGuard.BackwardFactor));
        Assert.Equal(12, fits);
        MemoryGuard.CheckStep(fixedBytes, FakeForward.Linear, (int)fits, 16, "training fake", false, _ => { }, available);
        var refused = Assert.Throws<ConfigException>(() => MemoryGuard.CheckStep(fixedBytes, FakeForward.Linear, 1000, 16, "training fake", false, _ => { }, available));
        Assert.StartsWith("training fake with batch 1,000 × context 16 needs about", refused.Message);
        Assert.Contains($"Use --batch {fits} or less", refused.Message);
    }

    /// <summary>
    /// The probe (forward on one sequence) times the batch times <see cref="MemoryGuard.BackwardFactor"/>
    /// must cover the peak of a real training step: forward, loss, backward and an AdamW step, with
    /// the native heap sampled by a second thread throughout (a sampler can miss a short peak, never
    /// invent one). The gradients, freed by zero_grad and made again by backward, are the guard's
    /// fixed part and are subtracted.
    /// </summary>
    [Theory]
    [InlineData("tiny-gpt", "", 4, 128)]
    [InlineData("tiny-gpt", "d_model=256,heads=8,layers=2,context=256", 2, 256)]
    [InlineData("tiny-llama", "", 2, 128)]
    public void TheBackwardFactorCoversARealTrainingStep(string name, string sets, int batch, int context)
    {
        var overrides = sets.Length == 0 ? new Dictionary<string, string>() : sets.Split(',').ToDictionary(s => s.Split('=')[0], s => s.Split('=')[1]);
        using var model = global::Liquid.Harness.Training.Catalog.Create(name, overrides);
        using var optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(model, 1e-3, 0.1), new AdamOptions(1e-3));
        var vocab = model.NamedModules().Select(m => m.Module).OfType<Embedding>().First().Options.Count;
        void Step(int rows)
        {
            using var scope = TensorScope.Enter();
            var tokens = Tensor.RandInt(0, vocab, [rows, context]);
            using var output = model.Run(new Dictionary<string, Tensor> { ["tokens"] = tokens });
            model.Loss(output, Tensor.RandInt(0, vocab, [rows, context])).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        Step(1); // Adam's state exists from here on, as in training
        var perSequence = MemoryGuard.ActivationBytesPerSequence(t => MemoryGuard.ForwardOneSequence(model, t), context, double.MaxValue, out _);
        var gradients = model.Parameters().Sum(p => p.NumElements * 4L);

        var before = NativeHeap.BytesInUse!.Value;
        var peak = before;
        var sampling = true;
        var sampler = new Thread(() =>
        {
            while (Volatile.Read(ref sampling)) peak = Math.Max(peak, NativeHeap.BytesInUse!.Value);
        });
        sampler.Start();
        Step(batch);
        Volatile.Write(ref sampling, false);
        sampler.Join();

        var ratio = (peak - before - gradients) / (perSequence * batch);
        log.WriteLine(System.FormattableString.Invariant($"{name} {sets} B={batch} T={context}: probe {perSequence / 1048576:F2} MiB/sequence, step peak {(peak - before) / 1048576.0:F2} MiB, gradients {gradients / 1048576.0:F2} MiB, ratio {ratio:F2}"));
        Assert.True(ratio <= MemoryGuard.BackwardFactor, $"the step's activations peaked at {ratio:F2} × the probe");
        Assert.True(ratio > 0.5, $"the probe ({perSequence} bytes) should not be far above what a step uses ({ratio:F2})");
    }

    [Fact]
    public void AbsurdSizesAreRefusedBeforeAnythingIsAllocated()
    {
        var live = Torch.LiveTensors;
        var inspect = Liquid("inspect", "tiny-gpt", "--set", "layers=100000");
        Assert.Equal(1, inspect.Code);
        Assert.Equal(live, Torch.LiveTensors); // no model was built
        // Exact when the catalog counts parameters (the generator's CountParameters): tiny-gpt has
        // 256·128 + 128·128 + 2·128 + layers·(12·128² + 13·128) = 49,408 + 198,272·layers of them;
        // otherwise the upper bound scaled from the default config.
        var message = inspect.Error.Trim();
        if (global::Liquid.Harness.Training.Catalog.Find("tiny-gpt").CountParameters is not null)
            Assert.Matches(@"^liquid: error: tiny-gpt with layers=100000 needs 74 GB for its weights \(19,827,249,408 parameters × 4 bytes\); this machine has [0-9.]+ [KMGT]B available\. Use a smaller config, or pass --allow-oversubscribe to try anyway$", message);
        else
            Assert.Matches(@"^liquid: error: tiny-gpt with layers=100000 may need up to [0-9.]+ PB for its weights \(up to [0-9.e]+ parameters × 4 bytes, an upper bound scaled from the 842,496 of the default config\); this machine has [0-9.]+ [KMGT]B available\. Use a smaller config, or pass --allow-oversubscribe to try anyway$", message);

        foreach (var args in new string[][]
        {
            ["train", "tiny-gpt", "--set", "d_model=32", "--set", "layers=1", "--set", "heads=2", "--context", "16", "--batch", "10000000", "--steps", "2", "--data", Corpus, "--out", Path.Combine(Folder, "run")],
            ["bench", "tiny-gpt", "--batch", "100000", "--seconds", "0.1"],
        })
        {
            var result = Liquid(args);
            Assert.Equal(1, result.Code);
            Assert.Matches(@"^liquid: error: (training|benchmarking) tiny-gpt with batch [0-9,]+ × context [0-9]+ needs about .* available\. Use --batch [0-9,]+ or less .*, or pass --allow-oversubscribe to try anyway$", result.Error.Trim());
        }
    }

    [Fact]
    public void ThreadsAreClampedToTheCores()
    {
        var result = Liquid("bench", "tiny-gpt", "--set", "d_model=32", "--set", "layers=1", "--set", "heads=2", "--batch", "2", "--context", "16", "--seconds", "0.1", "--threads", "10000", "--json");
        Assert.True(result.Code == 0, result.Error);
        var cores = Environment.ProcessorCount;
        Assert.Equal($"liquid: --threads 10000 is more than the {cores} core{(cores == 1 ? "" : "s")} this process can use; using {cores}", result.Error.Trim());
        Assert.Equal(cores, JsonNode.Parse(result.Output.Trim().Split('\n').Last())!["threads"]!.GetValue<int>());
    }

    [Fact]
    public void TrainClampsThreadsToTheCoresAndSavesTheCountItUsed()
    {
        var run = Path.Combine(Folder, "run");
        var args = Tiny(run, "--steps", "1");
        args[Array.IndexOf(args, "--threads") + 1] = "10000";
        var result = Liquid(args);
        Assert.True(result.Code == 0, result.Error);
        var cores = Environment.ProcessorCount;
        Assert.Contains($"warning: --threads 10000 is more than the {cores} core{(cores == 1 ? "" : "s")} this process can use; using {cores}", Flat(result.Output));
        Assert.Equal(cores, global::Liquid.Harness.Training.Checkpoint.ReadInfo(run).Info.Settings.Threads);
    }
}
