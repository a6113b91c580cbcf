using System.Globalization;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/liquid.sh: <c>liquid [--threads N] [--seconds S] [--plain] CASE...</c> with cases
/// <c>ltc</c> and <c>cfc</c>, the same train steps as benchmarks/pytorch/liquid.py (B 16, T 128, 32 inputs,
/// 64 units fully connected; LTC with 6 unfolds and softplus constraints, CfC default mode with backbone
/// 128 × 1): forward over the sequence, MSE against a fixed target on every output, backward, Adam
/// (lr 1e-3), zero_grad. <c>--plain</c> runs the op-by-op composition instead of the fused kernels;
/// <c>--forward</c> times the forward pass alone, without gradients, and <c>--tape-mb N</c> sets
/// <see cref="LiquidKernels.LtcSigmaTapeBudget"/> (0: the backward pass recomputes σ), both for profiling.
/// Prints one JSON line per case, as <see cref="Compare"/> does.
/// </summary>
public static class LiquidCells
{
    private const long Batch = 16, Steps = 128, Inputs = 32, Units = 64;

    /// <summary>Entry point of the mode; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        var threads = 1;
        var seconds = 3.0;
        var fuse = true;
        var forwardOnly = false;
        var cases = new List<string>();
        for (var k = 0; k < args.Length; k++)
        {
            switch (args[k])
            {
                case "--threads": threads = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--plain": fuse = false; break;
                case "--forward": forwardOnly = true; break;
                case "--tape-mb": LiquidKernels.LtcSigmaTapeBudget = long.Parse(args[++k], CultureInfo.InvariantCulture) << 20; break;
                default: cases.Add(args[k]); break;
            }
        }
        if (cases.Count == 0) cases = ["ltc", "cfc"];
        Torch.SetThreads(threads);
        foreach (var name in cases)
        {
            Torch.ManualSeed(0);
            using Module model = name switch
            {
                "ltc" => new Ltc(new LtcOptions(Inputs, Units: Units, OdeUnfolds: 6, Fuse: fuse)),
                "cfc" => new Cfc(new CfcOptions(Inputs, Units: Units, BackboneUnits: 128, BackboneLayers: 1, Fuse: fuse)),
                _ => throw new ArgumentException($"unknown case '{name}' (ltc, cfc)"),
            };
            using var x = Tensor.Randn([Batch, Steps, Inputs]);
            using var target = Tensor.Randn([Batch, Steps, Units]);
            var optimizer = new Adam(model.Parameters(), new AdamOptions(LearningRate: 1e-3));
            void Step()
            {
                using var scope = TensorScope.Enter();
                using var noGrad = forwardOnly ? Torch.NoGrad() : (GradModeScope?)null;
                var output = model is Ltc ltc ? ltc.Forward(x).Output : ((Cfc)model).Forward(x).Output;
                if (forwardOnly) return;
                Functional.MseLoss(output, target).Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            var (ms, cpuMs, calls) = Compare.Time(Step, warm: Math.Min(1.0, seconds / 3), measure: seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"case\": \"{name}\", \"side\": \"{(fuse ? "ours" : "ours-plain")}\", \"ms\": {ms:F3}, \"cpu_ms\": {cpuMs:F3}, \"calls\": {calls}}}"));
        }
        return 0;
    }
}
