using System.Globalization;
using Liquid.Runtime.Nn;

namespace Liquid.Runtime.Tests.Nn.Foundation;

/// <summary>
/// Finite-difference gradient checks in float64 of every Liquid Foundation kind on small sizes: the
/// gradients autograd (and the band kernel's own backward) give for the input and for every parameter,
/// through L = Σ_outputs sum(output · W) over the main output and the auxiliary losses, against central
/// differences of L; and leak checks (a forward and backward leave no native tensor behind).
/// </summary>
/// <remarks>
/// Routing decisions (which experts, how many bins) are piecewise constant: a perturbation of 1e-6 does
/// not cross one on these seeds, so the differences see the smooth pieces autograd differentiates.
/// Tolerances are <see cref="Support.GradCheck"/>'s (rtol 1e-6, atol 1e-8).
/// </remarks>
public class FoundationGradientTests
{
    private const double Eps = 1e-6, Rtol = 1e-6, Atol = 1e-8;

    /// <summary>The layers under test, small, in float64, with every parameter away from its special initial value.</summary>
    public static TheoryData<string> Kinds => new(["liquid_embedding", "diff_attention", "diff_attention_dense", "moe", "moe_dynamic",
        "deformable_conv1d", "deformable_conv1d_causal", "gated_conv", "lstm_memory", "ff_ln"]);

    private sealed record Subject(Module Module, Tensor? Input, Func<Tensor?, ForwardContext, Tensor[]> Run, Tensor[] ExtraInputs) : IDisposable
    {
        public void Dispose()
        {
            Module.Dispose();
            Input?.Dispose();
            foreach (var extra in ExtraInputs) extra.Dispose();
        }
    }

    private static void Randomize(Module module, double scale)
    {
        using (Torch.NoGrad())
            foreach (var parameter in module.Parameters())
                parameter.Normal_(0, scale);
    }

    private static Tensor Leaf(long[] shape) => Tensor.Randn(shape, DType.Float64).RequiresGrad_();

    private static Subject Make(string kind)
    {
        // A seed of the kind's name that is the same in every run (string hashes are randomized per process).
        Torch.ManualSeed(kind.Aggregate(17UL, (seed, c) => seed * 31 + c));
        switch (kind)
        {
            case "liquid_embedding":
            {
                var layer = new LiquidEmbedding(new LiquidEmbeddingOptions(Vocab: 5, Dim: 3, MaxPositions: 6, Dropout: 0));
                layer.To(DType.Float64);
                Randomize(layer, 0.7);
                var ids = Tensor.From(new long[] { 1, 3, 3, 0, 4, 2, 2, 2, 1, 0 }, [2, 5]);
                return new Subject(layer, null, (_, c) => { var (e, r) = layer.Forward(ids, c); return [e, r]; }, [ids]);
            }
            case "diff_attention":
            case "diff_attention_dense":
            {
                var layer = new DiffAttention(new DiffAttentionOptions(Dim: 8, Heads: 2, KvGroups: 2, Window: 3, RopeTheta: 100, Fused: kind == "diff_attention"));
                layer.To(DType.Float64);
                Randomize(layer, 0.5);
                return new Subject(layer, Leaf([2, 5, 8]), (x, c) => [layer.Forward(x!, c)], []);
            }
            case "moe":
            case "moe_dynamic":
            {
                var layer = new Moe(new MoeOptions(Dim: 3, Hidden: 4, Experts: 3, TopK: kind == "moe" ? 2 : 1, DynamicK: kind == "moe_dynamic",
                    BalanceWeight: 0.1, ZLossWeight: 0.01, OveruseThreshold: 0.3));
                layer.To(DType.Float64);
                Randomize(layer, 0.8);
                return new Subject(layer, Leaf([2, 3, 3]), (x, c) => { var o = layer.Forward(x!, c); return [o.Output, o.Aux, o.Entropy, o.Overuse, o.Balance, o.ZLoss]; }, []);
            }
            case "deformable_conv1d":
            case "deformable_conv1d_causal":
            {
                var causal = kind.EndsWith("causal", StringComparison.Ordinal);
                var layer = new DeformableConv1d(new DeformableConv1dOptions(2, 3, Kernel: 3, Stride: causal ? 1 : 2, Padding: causal ? 0 : 2,
                    Dilation: 2, Causal: causal));
                layer.To(DType.Float64);
                Randomize(layer, 0.8);
                return new Subject(layer, Leaf([2, 7, 2]), (x, _) => [layer.Forward(x!)], []);
            }
            case "gated_conv":
            {
                var layer = new GatedConv(new GatedConvOptions(Channels: 2, Dropout: 0));
                layer.To(DType.Float64);
                Randomize(layer, 0.8);
                return new Subject(layer, Leaf([2, 6, 2]), (x, c) => [layer.Forward(x!, c)], []);
            }
            case "lstm_memory":
            {
                var layer = new LstmMemory(new LstmMemoryOptions(Dim: 3, Hidden: 2, Layers: 2, Dropout: 0));
                layer.To(DType.Float64);
                var h0 = Leaf([2, 2, 2]);
                var c0 = Leaf([2, 2, 2]);
                return new Subject(layer, Leaf([2, 4, 3]), (x, c) =>
                {
                    var (output, state) = layer.Forward(x!, new LstmState(h0, c0), c);
                    return [output, state.H, state.C];
                }, [h0, c0]);
            }
            case "ff_ln":
            {
                var layer = new FfLn(new FfLnOptions(Dim: 3, Hidden: 5, Dropout: 0));
                layer.To(DType.Float64);
                Randomize(layer, 0.8);
                return new Subject(layer, Leaf([2, 2, 3]), (x, c) => [layer.Forward(x!, c)], []);
            }
            default:
                throw new ArgumentException(kind);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GradientsMatchFiniteDifferences(string kind)
    {
        using var subject = Make(kind);
        subject.Module.Eval();
        var leaves = new List<(string Name, Tensor Tensor)>();
        if (subject.Input is not null) leaves.Add(("input", subject.Input));
        leaves.AddRange(subject.ExtraInputs.Where(t => t.DType.IsFloatingPoint()).Select((t, i) => ($"input {i + 1}", t)));
        leaves.AddRange(subject.Module.NamedParameters());

        using var scope = TensorScope.Enter();
        Tensor[]? projections = null;
        double Loss()
        {
            using var inner = TensorScope.Enter();
            using var context = new ForwardContext(training: false);
            var outputs = subject.Run(subject.Input, context);
            projections ??= outputs.Select((o, i) =>
            {
                Torch.ManualSeed(100 + (ulong)i);
                return inner.Keep(Tensor.Randn(o.Shape, DType.Float64));
            }).ToArray();
            Tensor? total = null;
            for (var i = 0; i < outputs.Length; i++)
            {
                var term = outputs[i].Mul(projections[i]).Sum();
                total = total is null ? term : total.Add(term);
            }
            if (Torch.IsGradEnabled) total!.Backward();
            return total!.Item();
        }

        foreach (var (_, leaf) in leaves) leaf.ZeroGrad();
        Loss();
        var analytic = leaves.Select(l => l.Tensor.Grad?.ToArray<double>() ?? new double[l.Tensor.NumElements]).ToArray();
        Assert.True(analytic.Count(a => a.Any(v => v != 0)) >= leaves.Count - 4, "most leaves must get a gradient, or the check compares zeros");

        using var noGrad = Torch.NoGrad();
        for (var i = 0; i < leaves.Count; i++)
        {
            var (name, leaf) = leaves[i];
            using var flat = leaf.View(-1);
            for (var k = 0; k < flat.Size(0); k++)
            {
                using var element = flat.Narrow(0, k, 1);
                element.Add_(Eps);
                var plus = Loss();
                element.Sub_(2 * Eps);
                var minus = Loss();
                element.Add_(Eps);
                var numeric = (plus - minus) / (2 * Eps);
                if (Math.Abs(numeric - analytic[i][k]) > Atol + Rtol * Math.Abs(numeric))
                    Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                        $"{kind}, {name}[{k}]: finite differences give {numeric:R}, autograd {analytic[i][k]:R}"));
            }
        }
    }

    /// <summary>Forward and backward of each kind leave the live native tensor count where it was.</summary>
    [Collection(LiveTensorCountCollection.Name)]
    public class Lifetime
    {
        [Theory]
        [MemberData(nameof(Kinds), MemberType = typeof(FoundationGradientTests))]
        public void ForwardAndBackwardLeaveNoTensorBehind(string kind)
        {
            using var subject = Make(kind);
            // One warm-up pass: RoPE tables and similar caches are allocated once and kept by the layer.
            Pass(subject, training: true);
            for (var k = 0; k < 3; k++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            var baseline = Torch.LiveTensors;
            for (var round = 0; round < 5; round++) Pass(subject, training: round % 2 == 0);
            Assert.Equal(baseline, Torch.LiveTensors);
        }

        private static void Pass(Subject subject, bool training)
        {
            using var scope = TensorScope.Enter();
            using var context = new ForwardContext(training);
            Tensor? total = null;
            foreach (var output in subject.Run(subject.Input, context))
                total = total is null ? output.Sum() : total.Add(output.Sum());
            total!.Backward();
            foreach (var parameter in subject.Module.Parameters()) parameter.ZeroGrad();
            subject.Input?.ZeroGrad();
            foreach (var extra in subject.ExtraInputs) extra.ZeroGrad();
        }
    }
}
