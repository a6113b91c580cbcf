using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Liquid.Benchmarks;
using Liquid.Runtime;

// Modes:
//   per-op ITERATIONS      per-op overhead (benchmarks/per-op.sh), one JSON line
//   threads N              1024² matmul GFLOP/s and a small-op loop at N threads (benchmarks/threads.sh)
//   compare [--quick] CASE...  the cases of benchmarks/compare.sh, one JSON line each (Compare.cs)
//   bdn [BenchmarkDotNet options]  the BenchmarkDotNet suites (Suites.cs), e.g. bdn --filter '*Layer*'
//   foundation CASE [--seconds S]  one Liquid Foundation case with its peak memory (Foundation.cs, benchmarks/foundation.sh)
//   ode direct|adjoint [SECONDS]  dopri5 forward+backward on an MLP field (benchmarks/ode.sh, OdeBenchmark.cs)
//   liquid [--threads N] [--seconds S] [--plain] ltc|cfc   LTC/CfC train steps (benchmarks/liquid.sh, LiquidCells.cs)
//   foundation-model [--seconds S]  the liquid-foundation-tiny train step (FoundationModel.cs, benchmarks/foundation-model.sh)
//   long forward --tokens N | long generate --position P   liquid-long's long forward and per-token latency (LongSequence.cs, benchmarks/long.sh)
return args switch
{
    ["per-op", var iterations] => PerOp(int.Parse(iterations, CultureInfo.InvariantCulture)),
    ["threads", var threads] => ThreadScaling(int.Parse(threads, CultureInfo.InvariantCulture)),
    ["compare", .. var rest] => Compare.Run(rest),
    ["bdn", .. var rest] => Bdn(rest),
    ["foundation", .. var rest] => Foundation.Run(rest),
    ["ode", .. var rest] => OdeBenchmark.Run(rest),
    ["liquid", .. var rest] => LiquidCells.Run(rest),
    ["foundation-model", .. var rest] => FoundationModel.Run(rest),
    ["long", .. var rest] => LongSequence.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Liquid.Benchmarks per-op ITERATIONS | threads N | compare [--threads N] [--quick] CASE... | bdn [BenchmarkDotNet options] | foundation CASE | ode direct|adjoint [SECONDS] | liquid [--threads N] [--seconds S] [--plain] ltc|cfc | foundation-model | long forward|generate");
    return 2;
}

static int Bdn(string[] rest)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(ShortConfig).Assembly).Run(rest, new ShortConfig());
    return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
}

// Per-op overhead: 4x4 tensors make the math negligible, so the time is interop, dispatch and
// allocation. Results are disposed at once, as a TensorScope would in a model.
static int PerOp(int iterations)
{
    Torch.SetThreads(1);
    using var a = Tensor.Randn([4, 4]);
    using var b = Tensor.Randn([4, 4]);
    var add = TimePerCall(iterations, () => a.Add(b).Dispose());
    var matmul = TimePerCall(iterations, () => a.MatMul(b).Dispose());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"add_us\": {add:F3}, \"matmul_us\": {matmul:F3}}}"));
    return 0;
}

// 1024² sgemm throughput and a loop of small ops at a given thread count.
static int ThreadScaling(int threads)
{
    Torch.SetThreads(threads);
    using var x = Tensor.Randn([1024, 1024]);
    using var y = Tensor.Randn([1024, 1024]);
    var matmulSeconds = TimePerCall(20, () => x.MatMul(y).Dispose()) / 1e6;
    var gflops = 2.0 * 1024 * 1024 * 1024 / matmulSeconds / 1e9;
    using var s = Tensor.Randn([64, 64]);
    var smallOps = TimePerCall(20_000, () =>
    {
        using var t = s.Mul(s);
        t.Add(s).Dispose();
    });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"threads\": {threads}, \"matmul_gflops\": {gflops:F1}, \"small_ops_us\": {smallOps:F3}}}"));
    return 0;
}

static double TimePerCall(int iterations, Action body)
{
    for (var k = 0; k < Math.Max(10, iterations / 10); k++) body(); // warm up JIT and allocator
    var clock = Stopwatch.StartNew();
    for (var k = 0; k < iterations; k++) body();
    return clock.Elapsed.TotalMicroseconds / iterations;
}
