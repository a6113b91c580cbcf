using System.Diagnostics;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Cli;

/// <summary>Throughput of a model on random tokens: forward only, and full train steps (AdamW).</summary>
internal static class Benchmark
{
    public sealed record Result(double ForwardTokensPerSecond, double TrainTokensPerSecond, double PeakRssMegabytes);

    public static Result Measure(CompiledModel model, int batch, int context, double seconds)
    {
        var vocab = model.Info.ConfigType.GetProperty("VocabSize") is not null ? VocabOf(model) : 256;
        using var tokens = Tensor.RandInt(0, vocab, [batch, context]);
        using var targets = Tensor.RandInt(0, vocab, [batch, context]);
        var inputs = new Dictionary<string, Tensor> { ["tokens"] = tokens };

        model.Eval();
        double forward;
        using (Torch.NoGrad())
            forward = Rate(seconds, () =>
            {
                using var output = model.Run(inputs);
            }) * batch * context;

        model.Train();
        using var optimizer = new AdamW(model.Parameters(), new AdamOptions(1e-4));
        var train = Rate(seconds, () =>
        {
            using var scope = TensorScope.Enter();
            using var output = model.Run(inputs);
            model.Loss(output, targets).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }) * batch * context;
        return new Result(forward, train, PeakRssMegabytes());
    }

    private static long VocabOf(CompiledModel model) =>
        model.NamedModules().Select(m => m.Module).OfType<Embedding>().FirstOrDefault()?.Options.Count ?? 256;

    /// <summary>Calls per second after one warm-up call, measured for at least <paramref name="seconds"/>.</summary>
    private static double Rate(double seconds, Action body)
    {
        body();
        var clock = Stopwatch.StartNew();
        var calls = 0;
        while (clock.Elapsed.TotalSeconds < seconds || calls < 2)
        {
            body();
            calls++;
        }
        return calls / clock.Elapsed.TotalSeconds;
    }

    /// <summary>VmHWM (peak resident set) from /proc/self/status.</summary>
    private static double PeakRssMegabytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
