using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn;

/// <summary>
/// <see cref="ActivationMonitor"/>: the statistics of each monitored module's output and of each
/// parameter's gradient against values computed here from the tensors' elements; module paths; the
/// first non-finite activation or gradient with its path and step; watching only while a scope is
/// open; and the path taken with no monitor, which must not allocate.
/// </summary>
[Collection(LiveTensorCountCollection.Name)]
public sealed class ActivationMonitorTests
{
    /// <summary>x → fc (Linear) → attn (Attention: attn.qkv, attn.proj) → conv (causal Conv1d, channels last).</summary>
    private sealed class Net : Module
    {
        private readonly Linear _fc;
        private readonly Attention _attn;
        private readonly Conv1d _conv;

        public Net()
        {
            _fc = RegisterModule("fc", new Linear(new LinearOptions(6, 8)));
            _attn = RegisterModule("attn", new Attention(new AttentionOptions(8, 2)));
            _conv = RegisterModule("conv", new Conv1d(new Conv1dOptions(8, 4, 3, Causal: true, ChannelsLast: true)));
        }

        public Linear Fc => _fc;

        public Tensor Forward(Tensor x) => _conv.Forward(_attn.Forward(_fc.Forward(x)));
    }

    /// <summary>Mean, population std and max |x| of the finite elements, and the count of the others.</summary>
    private static (double Mean, double Std, double MaxAbs, long NonFinite) Direct(Tensor tensor)
    {
        var values = tensor.ToArray<double>();
        var finite = values.Where(double.IsFinite).ToArray();
        var mean = finite.Average();
        var std = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / finite.Length);
        return (mean, std, finite.Max(Math.Abs), values.Length - finite.Length);
    }

    [Fact]
    public void RecordsEveryMonitoredModuleWithItsOutputStatistics()
    {
        Torch.ManualSeed(5);
        using var net = new Net();
        using var scope = TensorScope.Enter();
        var monitor = new ActivationMonitor();
        var x = Tensor.Randn([2, 5, 6]);
        Tensor output;
        using (monitor.Watch(step: 7)) output = net.Forward(x);

        Assert.Equal(["fc", "attn.qkv", "attn.proj", "attn", "conv"], monitor.Activations.Select(a => a.Module));
        Assert.Equal(["Linear", "Linear", "Linear", "Attention", "Conv1d"], monitor.Activations.Select(a => a.Kind));
        Assert.All(monitor.Activations, a => Assert.Equal(7, a.Step));
        var conv = monitor.Activations[^1];
        Assert.Equal([2L, 5, 4], conv.Shape);
        var (mean, std, maxAbs, nonFinite) = Direct(output);
        Assert.Equal(mean, conv.Mean, 12);
        Assert.Equal(std, conv.Std, 12);
        Assert.Equal(maxAbs, conv.MaxAbs, 12);
        Assert.Equal(nonFinite, conv.NonFinite);
        Assert.True(std > 0.01 && maxAbs > 0.01, "the fixture's output is not degenerate");
        Assert.Null(monitor.FirstNonFinite);
    }

    [Fact]
    public void RecordsGradientNormsAfterBackward()
    {
        Torch.ManualSeed(6);
        using var net = new Net();
        using var scope = TensorScope.Enter();
        var monitor = new ActivationMonitor();
        using (monitor.Watch(step: 3)) net.Forward(Tensor.Randn([2, 5, 6])).Square().Sum().Backward();
        monitor.RecordGradients(net);

        var parameters = net.NamedParameters().ToList();
        Assert.Equal(parameters.Select(p => p.Name), monitor.Gradients.Select(g => g.Parameter));
        foreach (var ((_, parameter), record) in parameters.Zip(monitor.Gradients))
        {
            var grad = parameter.Grad!.ToArray<double>();
            Assert.Equal(Math.Sqrt(grad.Sum(g => g * g)), record.Norm, 10);
            Assert.Equal(0, record.NonFinite);
            Assert.Equal(3, record.Step);
        }
        var (activations, gradients) = monitor.TakeRecords();
        Assert.Equal(5, activations.Count);
        Assert.Equal(parameters.Count, gradients.Count);
        Assert.Empty(monitor.Activations);
        Assert.Empty(monitor.Gradients);
    }

    [Fact]
    public void FlagsTheFirstNonFiniteValueWithItsModuleAndStep()
    {
        Torch.ManualSeed(7);
        using var net = new Net();
        using var scope = TensorScope.Enter();
        var monitor = new ActivationMonitor();
        using (monitor.Watch(step: 1)) net.Forward(Tensor.Randn([1, 4, 6]));
        Assert.Null(monitor.FirstNonFinite);

        // An infinite input: fc's output is non-finite in the row it touches, and everything after it.
        var x = Tensor.Randn([1, 4, 6]);
        using (Torch.NoGrad()) x.Select(1, 2).Select(1, 0).Fill_(double.PositiveInfinity);
        using (monitor.Watch(step: 2)) net.Forward(x);
        Assert.Equal(new NonFiniteValue(2, "fc", "activation", 8), monitor.FirstNonFinite);
        var fc = monitor.Activations.First(a => a.Step == 2);
        var (mean, std, maxAbs, _) = Direct(net.Fc.Forward(x));
        Assert.Equal(8, fc.NonFinite);
        Assert.Equal(mean, fc.Mean, 12); // over the finite elements
        Assert.Equal(std, fc.Std, 12);
        Assert.Equal(maxAbs, fc.MaxAbs, 12);

        // A later non-finite gradient does not replace the first value.
        net.Forward(Tensor.Randn([1, 4, 6])).Sum().Backward();
        var weight = net.NamedParameters().First(p => p.Name == "conv.weight").Parameter;
        using (Torch.NoGrad()) weight.Grad!.Fill_(double.NaN);
        monitor.RecordGradients(net, step: 3);
        Assert.Equal("fc", monitor.FirstNonFinite!.Path);
        Assert.Equal(weight.NumElements, monitor.Gradients.Single(g => g.Parameter == "conv.weight").NonFinite);
        Assert.Equal(0, monitor.Gradients.Single(g => g.Parameter == "conv.weight").Norm); // over the finite elements: none

        var fresh = new ActivationMonitor();
        fresh.RecordGradients(net, step: 9);
        Assert.Equal(new NonFiniteValue(9, "conv.weight", "gradient", weight.NumElements), fresh.FirstNonFinite);
    }

    [Fact]
    public void WatchesOnlyInsideItsScopeAndRestoresTheOuterMonitor()
    {
        Torch.ManualSeed(8);
        using var net = new Net();
        using var scope = TensorScope.Enter();
        var (outer, inner) = (new ActivationMonitor(), new ActivationMonitor());
        Assert.Null(ActivationMonitor.Current);
        using (outer.Watch(1))
        {
            using (inner.Watch(2))
            {
                Assert.Same(inner, ActivationMonitor.Current);
                net.Forward(Tensor.Randn([1, 3, 6]));
            }
            Assert.Same(outer, ActivationMonitor.Current);
        }
        Assert.Null(ActivationMonitor.Current);
        net.Forward(Tensor.Randn([1, 3, 6]));
        Assert.Empty(outer.Activations);
        Assert.Equal(5, inner.Activations.Count);

        // Another thread has no monitor: the field is per thread.
        ActivationMonitor? seen = outer;
        using (outer.Watch(3))
        {
            var thread = new Thread(() => seen = ActivationMonitor.Current);
            thread.Start();
            thread.Join();
        }
        Assert.Null(seen);
    }

    [Fact]
    public void TheUnwatchedPathAllocatesNothingAndLeavesNoTensor()
    {
        using var linear = new Linear(new LinearOptions(4, 4));
        var live = Torch.LiveTensors;
        using (var scope = TensorScope.Enter())
        {
            var output = Tensor.Zeros([2, 4]);
            ActivationMonitor.Observe(linear, output); // warm-up (JIT)
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++) ActivationMonitor.Observe(linear, output);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

            // Watching frees its own intermediates: only the forward's own tensors remain in the scope.
            var monitor = new ActivationMonitor();
            using (monitor.Watch(0)) linear.Forward(Tensor.Randn([3, 4]));
        }
        Assert.Equal(live, Torch.LiveTensors);
    }
}
