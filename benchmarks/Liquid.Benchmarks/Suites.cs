using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Liquid.Runtime;

namespace Liquid.Benchmarks;

// The BenchmarkDotNet suites (`Liquid.Benchmarks bdn [--filter *Layer*] ...`). They time the same
// workloads as the compare mode (Workloads.cs), one intra-op thread, with managed allocations per
// call. The job is short on purpose (1 launch, 2 warm-up and 5 measured iterations, in process) so
// a suite finishes in minutes; pass --job default (or BenchmarkDotNet's other options) for more.

/// <summary>The short in-process job every suite uses unless the command line names another.</summary>
public sealed class ShortConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public ShortConfig()
    {
        Add(DefaultConfig.Instance); // loggers, columns, exporters
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(5)
            .WithId("Short"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>Base of the suites: one intra-op thread, a workload built in setup and freed in cleanup.</summary>
public abstract class SuiteBase
{
    private protected Workload? Workload;

    /// <summary>Builds <see cref="Workload"/>.</summary>
    protected abstract Workload Create();

    /// <summary>BenchmarkDotNet setup.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Torch.SetThreads(1);
        Workload = Create();
    }

    /// <summary>BenchmarkDotNet cleanup.</summary>
    [GlobalCleanup]
    public void Cleanup() => Workload?.Dispose();
}

/// <summary>What one call costs beyond the math: 4×4 add and matmul, result disposed at once.</summary>
public class PerOpBenchmarks : SuiteBase
{
    /// <summary>The op.</summary>
    [Params("add", "matmul")]
    public string Op { get; set; } = "add";

    /// <inheritdoc/>
    protected override Workload Create() => new TinyOpWorkload(Op);

    /// <summary>One call.</summary>
    [Benchmark]
    public void Call() => Workload!.Run();
}

/// <summary>Linear (d → 4d), GELU MLP and causal attention (plain, GQA, sliding window), forward and forward + backward.</summary>
public class LayerBenchmarks : SuiteBase
{
    /// <summary>The layer.</summary>
    [Params(LayerKind.Linear, LayerKind.Mlp, LayerKind.Attention, LayerKind.AttentionGqa, LayerKind.AttentionWindow)]
    public LayerKind Kind { get; set; }

    /// <summary>Model width: 64 (B 8, T 64, 4 heads) or 512 (B 8, T 128, 8 heads).</summary>
    [Params(64, 512)]
    public int D { get; set; }

    /// <summary>Forward only (no grad) or forward + backward.</summary>
    [Params(false, true)]
    public bool Backward { get; set; }

    /// <inheritdoc/>
    protected override Workload Create() => new LayerWorkload(Kind, D, Backward);

    /// <summary>One call.</summary>
    [Benchmark]
    public void Layer() => Workload!.Run();
}

/// <summary>One training step (forward, loss, backward, clip, AdamW, zero_grad) of the compiled models.</summary>
public class TrainStepBenchmarks : SuiteBase
{
    /// <summary>tiny-gpt-d64 (B 8, T 64), tiny-gpt (B 16, T 128) or gpt2-spanish (B 8, T 128).</summary>
    [Params("tiny-gpt-d64", "tiny-gpt", "gpt2-spanish")]
    public string Model { get; set; } = "tiny-gpt";

    /// <inheritdoc/>
    protected override Workload Create() => new ModelWorkload(Model, ModelTask.Train);

    /// <summary>One step.</summary>
    [Benchmark]
    public void TrainStep() => Workload!.Run();
}

/// <summary>Greedy decoding with the KV cache, batch 1; reported per generated token.</summary>
public class GenerationBenchmarks : SuiteBase
{
    /// <summary>The model.</summary>
    [Params("tiny-gpt", "gpt2-spanish")]
    public string Model { get; set; } = "tiny-gpt";

    /// <inheritdoc/>
    protected override Workload Create() => new ModelWorkload(Model, ModelTask.Generate);

    /// <summary>A 16-token prompt and 32 new tokens; the time is divided by the 32.</summary>
    [Benchmark(OperationsPerInvoke = ModelWorkload.NewTokens)]
    public void PerToken() => Workload!.Run();
}
