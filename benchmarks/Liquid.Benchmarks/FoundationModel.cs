using System.Globalization;
using Liquid.Models;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/foundation-model.sh: <c>foundation-model [--seconds S] [--batch B] [--steps T]</c>
/// times the train step of the compiled liquid-foundation-tiny model (defaults B 16, T 128, as its
/// recipe) and prints one JSON line <c>{"case", "side", "ms", "cpu_ms", "calls", "tokens_per_s"}</c>.
/// </summary>
/// <remarks>
/// The step is what benchmarks/pytorch/foundation_model.py times: forward in training mode (dropout
/// on), the generated <c>Objective</c> (cross-entropy with label smoothing, focal, reconstruction, the
/// mixtures' auxiliary loss), backward, gradient clipping at 1.0, AdamW (lr 1e-3, weight decay 1e-3 on
/// matrices and embeddings, <see cref="ParameterGroups.DecayAndNoDecay"/>), zero grad; one thread.
/// </remarks>
public static class FoundationModel
{
    /// <summary>Entry point of the mode; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        double seconds = 10;
        long batch = 16, steps = 128;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--batch": batch = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--steps": steps = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        Torch.SetThreads(1);
        Torch.ManualSeed(1);
        using var model = new LiquidFoundationTiny();
        model.Train();
        var optimizer = new AdamW(ParameterGroups.DecayAndNoDecay(model, 1e-3, 1e-3), new AdamOptions(1e-3, WeightDecay: 1e-3));
        var parameters = model.Parameters().ToList();
        using var data = Tensor.RandInt(0, model.Config.VocabSize, [batch, steps + 1]);
        using var tokens = data.Narrow(1, 0, steps).Contiguous();
        using var targets = data.Narrow(1, 1, steps).Contiguous();

        void Step()
        {
            using (var scope = TensorScope.Enter())
            {
                using var output = model.Forward(tokens);
                using var objective = model.Objective(output, targets);
                objective.Total.Backward();
            }
            Optimizer.ClipGradNorm(parameters, 1.0);
            optimizer.Step();
            optimizer.ZeroGrad();
        }

        var (ms, cpuMs, calls) = Compare.Time(Step, warm: 1.0, measure: seconds, warmCalls: 2, callsMin: 3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"case\": \"foundation-tiny/train\", \"side\": \"ours\", \"ms\": {ms:F3}, \"cpu_ms\": {cpuMs:F3}, \"calls\": {calls}, \"tokens_per_s\": {batch * steps / ms * 1e3:F1}}}"));
        return 0;
    }
}
