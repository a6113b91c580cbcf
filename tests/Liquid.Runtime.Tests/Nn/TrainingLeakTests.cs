using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Liquid.Runtime.Nn;
using Xunit.Abstractions;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// A long training run must not leak: native tensors and resident memory stay flat over 10,000
/// steps of a small MLP with AdamW and gradient clipping, and everything is freed at the end.
/// </summary>
[Collection(LiveTensorCountCollection.Name)]
public sealed class TrainingLeakTests(ITestOutputHelper output)
{
    private const int Steps = 10_000;
    private const int Samples = 256;
    private const int Batch = 64;
    private const long RssMarginKb = 20 * 1024;

    /// <summary>Linear 16→32, GELU, Linear 32→1.</summary>
    private sealed class Regressor : Module
    {
        public Regressor()
        {
            Hidden = RegisterModule("fc1", new Linear(new LinearOptions(16, 32)));
            Activation = RegisterModule("act", new Gelu());
            Output = RegisterModule("fc2", new Linear(new LinearOptions(32, 1)));
        }

        public Linear Hidden { get; }

        public Gelu Activation { get; }

        public Linear Output { get; }

        public Tensor Forward(Tensor input)
        {
            using var scope = TensorScope.Enter();
            return scope.Keep(Output.Forward(Activation.Forward(Hidden.Forward(input))));
        }
    }

    // Fully optimized from the first call: with tiering, on-stack replacement recompiles this loop
    // after ~10,000 iterations, and the JIT's scratch memory then shows up as a one-off VmRSS jump.
    [Fact]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Ten_thousand_training_steps_keep_live_tensors_and_memory_flat()
    {
        var clock = Stopwatch.StartNew();
        // Let tensors other tests left to the finalizer go now, so the counts below are ours alone.
        Settle();
        var baseline = Torch.LiveTensors;

        Torch.ManualSeed(20240919);
        var model = new Regressor();
        var optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(model, 3e-3, 0.01), new AdamOptions(3e-3));
        var (inputs, targets) = MakeData();

        var live = new SortedDictionary<int, long>();
        var resident = new SortedDictionary<int, long>();
        double firstLosses = 0, lastLosses = 0;
        const int averaged = 100;
        for (var step = 1; step <= Steps; step++)
        {
            using (var scope = TensorScope.Enter())
            {
                var start = (step % (Samples / Batch)) * Batch;
                var x = inputs.Narrow(0, start, Batch);
                var y = targets.Narrow(0, start, Batch);
                optimizer.ZeroGrad();
                var loss = Losses.Mse(model.Forward(x), y);
                loss.Backward();
                Optimizer.ClipGradNorm(model.Parameters(), 1.0);
                optimizer.Step();
                if (step <= averaged) firstLosses += loss.Item() / averaged;
                if (step > Steps - averaged) lastLosses += loss.Item() / averaged;
            }

            if (step % 1_000 == 0)
            {
                // Counted before collecting: a tensor left to the finalizer since the last
                // measurement shows up here.
                live[step] = Torch.LiveTensors;
                // Collected before reading VmRSS, so garbage the GC has not reached yet is not counted.
                Settle();
                resident[step] = ResidentKb();
            }
        }
        var trainingTime = clock.Elapsed;

        optimizer.Dispose();
        model.Dispose();
        inputs.Dispose();
        targets.Dispose();
        var liveAtEnd = Torch.LiveTensors;

        var growth = resident[Steps] - resident[2_000];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Steps} steps in {trainingTime.TotalSeconds:F1} s; mean loss: first {averaged} steps {firstLosses:G4}, last {averaged} {lastLosses:G4}"));
        output.WriteLine($"live tensors: baseline {baseline}, {string.Join(", ", live.Select(p => $"step {p.Key} {p.Value}"))}, after dispose {liveAtEnd}");
        output.WriteLine($"VmRSS kB: {string.Join(", ", resident.Select(p => $"step {p.Key} {p.Value}"))}; growth from step 2000 to {Steps}: {growth} kB");

        Assert.All(live, p => Assert.Equal(live[1_000], p.Value));
        Assert.Equal(baseline, liveAtEnd);
        Assert.True(growth < RssMarginKb, $"resident memory grew by {growth} kB between step 2,000 and step {Steps} (allowed < {RssMarginKb} kB)");
        Assert.True(lastLosses < 0.2 * firstLosses, $"the loss did not fall: first steps {firstLosses}, last steps {lastLosses}");
        Assert.True(trainingTime < TimeSpan.FromSeconds(60), $"10,000 steps took {trainingTime.TotalSeconds:F1} s (budget 60 s)");
    }

    /// <summary>A fixed smooth regression: y = sin(x·w) + 0.5·x₀·x₁, x ~ N(0, 1) from the seeded generator.</summary>
    private static (Tensor Inputs, Tensor Targets) MakeData()
    {
        using var scope = TensorScope.Enter();
        var inputs = Tensor.Randn([Samples, 16]);
        var direction = Tensor.Linspace(-1, 1, 16).Reshape(16, 1).Mul(0.5);
        var targets = inputs.MatMul(direction).Sin()
            .Add(inputs.Narrow(1, 0, 1).Mul(inputs.Narrow(1, 1, 1)).Mul(0.5));
        return (scope.Detach(inputs), scope.Detach(targets));
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Aggressive: also hand free managed segments back to the OS, so VmRSS tracks what is in use.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>VmRSS from /proc/self/status, in kB.</summary>
    private static long ResidentKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        throw new InvalidOperationException("/proc/self/status has no VmRSS line");
    }
}
