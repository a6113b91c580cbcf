using System.Diagnostics;
using Liquid.Runtime;
using Liquid.Runtime.Models;
using Liquid.Runtime.Nn;

namespace Liquid.Harness.Cli;

/// <summary>
/// Throughput of a model on random data of its inputs' types: forward only, and full train steps
/// (AdamW on the model's objective). Rates count tokens for a language model (batch × context per
/// call) and examples for the others.
/// </summary>
internal static class Benchmark
{
    public sealed record Result(double ForwardPerSecond, double TrainPerSecond, double PeakRssMegabytes, string Unit);

    public static Result Measure(CompiledModel model, int batch, int context, double seconds)
    {
        using var scope = TensorScope.Enter();
        var language = Training.TrainingData.LanguageModel(model.Inputs, model.Targets) is not null;
        var vocab = VocabOf(model);
        Tensor Random(TensorInfo info, long classes)
        {
            var shape = info.Shape.Select((d, i) => i == 0 ? batch : d ?? context).ToArray();
            return info.DType is DType.Int64 or DType.Int32 ? Tensor.RandInt(0, classes, shape).To(info.DType) : Tensor.Rand(shape).To(info.DType);
        }
        var inputs = model.Inputs.Where(i => !i.Optional).ToDictionary(i => i.Name, i => Random(i, vocab), StringComparer.Ordinal);

        // Class-id targets range over the logits' last dimension, which one forward pass shows.
        Dictionary<string, Tensor> targets;
        using (Torch.NoGrad())
        using (var probe = model.Run(inputs))
            targets = model.Targets.ToDictionary(t => t.Name, t => Random(t, model.ObjectiveTerms.FirstOrDefault(o => o.Target == t.Name)?.Input is { } logits
                && probe.Values.TryGetValue(logits, out var value) ? value.Size(-1) : vocab), StringComparer.Ordinal);
        var items = language ? (double)batch * context : batch;

        model.Eval();
        double forward;
        using (Torch.NoGrad())
            forward = Rate(seconds, () =>
            {
                using var output = model.Run(inputs);
            }) * items;

        model.Train();
        using var optimizer = new AdamW(model.Parameters(), new AdamOptions(1e-4));
        var train = Rate(seconds, () =>
        {
            using var step = TensorScope.Enter();
            using var output = model.Run(inputs);
            using var objective = model.Objective(output, targets);
            objective.Total.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }) * items;
        return new Result(forward, train, PeakRssMegabytes(), language ? "tokens" : "examples");
    }

    /// <summary>The ids a token input may hold: the smallest embedding table's size (2 without one).</summary>
    private static long VocabOf(CompiledModel model) =>
        model.NamedModules().Select(m => m.Module).OfType<Embedding>().Select(e => e.Options.Count).DefaultIfEmpty(2).Min();

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
