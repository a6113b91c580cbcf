using System.Globalization;
using System.Text.RegularExpressions;
using Liquid.Runtime;
using Liquid.Runtime.Nn;

namespace Liquid.Benchmarks;

/// <summary>
/// Our side of benchmarks/foundation.sh: <c>foundation CASE [--seconds S] [--block ROWS]</c> runs one case in this
/// process and prints one JSON line with the time per call and the peak resident memory the case
/// added (VmHWM after the case minus VmRSS before it, with the high-water mark reset in between).
/// One case per process, so one measurement's memory never includes another's.
/// </summary>
/// <remarks>
/// Cases (<c>/fwd</c>: forward under no-grad; <c>/train</c>: forward and backward):
/// <c>window</c>, <see cref="Functional.WindowAttention"/> at T 4096, W 512, 8 heads of 64 (d 512), 4
/// key/value heads (kv groups 2), float32; <c>window-dense</c>, the same attention as the masked dense
/// composition on our runtime; <c>moe</c>, <see cref="Moe.Forward"/> with 8 experts, top-2, d 512,
/// FF 1024 on 4096 tokens; <c>moe-dense</c>, <see cref="Moe.ForwardDense"/> (every expert on every
/// token, weighted by the masked routing matrix).
/// </remarks>
public static partial class Foundation
{
    private const long Steps = 4096, Window = 512, Heads = 8, KvHeads = 4, HeadDim = 64;
    private const long Tokens = 4096, Dim = 512, Hidden = 1024, Experts = 8, TopK = 2;

    /// <summary>Entry point of the mode; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: Liquid.Benchmarks foundation window|window-dense|moe|moe-dense/fwd|train [--seconds S] [--block ROWS]");
            return 2;
        }
        double seconds = 1.0;
        long block = 0;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--block": block = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break; // tile rows of the band kernel
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        Torch.SetThreads(1);
        var name = args[0];
        var (kind, task) = name.Split('/') is [var k, var t] ? (k, t) : throw new ArgumentException($"case '{name}' is not KIND/TASK");
        var train = task switch { "train" => true, "fwd" => false, _ => throw new ArgumentException($"unknown task '{task}'") };

        Torch.ManualSeed(1);
        using var workload = kind switch
        {
            "window" => Attention(fused: true, train, block),
            "window-dense" => Attention(fused: false, train, block),
            "moe" => Mixture(dense: false, train),
            "moe-dense" => Mixture(dense: true, train),
            _ => throw new ArgumentException($"unknown case '{name}'"),
        };
        var before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
        var (ms, cpuMs, calls) = Compare.Time(workload.Body, warm: 0.2, measure: seconds, warmCalls: 1, callsMin: 3);
        var peak = Status("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"case\": \"{name}\", \"side\": \"ours\", \"ms\": {ms:F3}, \"cpu_ms\": {cpuMs:F3}, \"calls\": {calls}, \"rss_before_mb\": {before / 1024.0:F1}, \"peak_mb\": {(peak - before) / 1024.0:F1}}}"));
        return 0;
    }

    private sealed class Workload(Action body, Action dispose) : IDisposable
    {
        public Action Body { get; } = body;

        public void Dispose() => dispose();
    }

    private static Workload Attention(bool fused, bool train, long block)
    {
        var q = Tensor.Randn([1, Heads, Steps, HeadDim]).RequiresGrad_(train);
        var k = Tensor.Randn([1, KvHeads, Steps, HeadDim]).RequiresGrad_(train);
        var v = Tensor.Randn([1, KvHeads, Steps, HeadDim]).RequiresGrad_(train);
        var grad = Tensor.Randn([1, Heads, Steps, HeadDim]);
        var blocked = fused ? null : BlockedPositions();
        var scale = 1.0 / Math.Sqrt(HeadDim);
        Tensor Attend() => fused ? Functional.WindowAttention(q, k, v, scale, Window, block) : Dense(q, k, v, scale, blocked!);
        void Body()
        {
            using var scope = TensorScope.Enter();
            if (!train)
            {
                using var noGrad = Torch.NoGrad();
                Attend();
                return;
            }
            Attend().Backward(grad);
            q.ZeroGrad();
            k.ZeroGrad();
            v.ZeroGrad();
        }
        return new Workload(Body, () =>
        {
            foreach (var t in new[] { q, k, v, grad }) t.Dispose();
            blocked?.Dispose();
        });
    }

    /// <summary>The masked dense composition, grouped as our Attention layer does it (no repeated K/V).</summary>
    private static Tensor Dense(Tensor q, Tensor k, Tensor v, double scale, Tensor blocked)
    {
        using var scope = TensorScope.Enter();
        var group = Heads / KvHeads;
        var scores = q.Mul(scale).Reshape(1, KvHeads, group * Steps, HeadDim).MatMul(k.Transpose(-2, -1)).View(1, KvHeads, group, Steps, Steps);
        var weights = scores.MaskedFill(blocked, double.NegativeInfinity).Softmax(-1).View(1, KvHeads, group * Steps, Steps);
        return scope.Keep(weights.MatMul(v).View(1, Heads, Steps, HeadDim));
    }

    /// <summary>True where query i may not see key j: j &gt; i or j ≤ i − W. Built once, as a layer would cache it.</summary>
    private static Tensor BlockedPositions()
    {
        using var scope = TensorScope.Enter();
        var query = Tensor.Arange(Steps).Unsqueeze(1);
        var key = Tensor.Arange(Steps).Unsqueeze(0);
        return scope.Keep(key.Gt(query).LogicalOr(key.Le(query.Sub(Window))));
    }

    private static Workload Mixture(bool dense, bool train)
    {
        var moe = new Moe(new MoeOptions(Dim, Hidden, Experts, TopK, DynamicK: false));
        var x = Tensor.Randn([Tokens, Dim]).RequiresGrad_(train);
        var grad = Tensor.Randn([Tokens, Dim]);
        Tensor Mix()
        {
            if (dense) return moe.ForwardDense(x);
            using var context = new ForwardContext(train);
            return moe.Forward(x, context).Output;
        }
        void Body()
        {
            using var scope = TensorScope.Enter();
            if (!train)
            {
                using var noGrad = Torch.NoGrad();
                Mix();
                return;
            }
            Mix().Backward(grad);
            moe.ZeroGrad();
            x.ZeroGrad();
        }
        return new Workload(Body, () =>
        {
            moe.Dispose();
            x.Dispose();
            grad.Dispose();
        });
    }

    /// <summary>A /proc/self/status field in kB.</summary>
    private static long Status(string field)
    {
        var match = Regex.Match(File.ReadAllText("/proc/self/status"), field + @":\s+(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"no {field} in /proc/self/status");
    }
}
