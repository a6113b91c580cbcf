using System.Runtime.CompilerServices;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests;

[Collection(LiveTensorCountCollection.Name)]
public class LifetimeTests
{
    /// <summary>
    /// The live count once tensors that other tests abandoned to the finalizer are gone, so that a
    /// finalizer running during a test cannot lower the count under its baseline.
    /// </summary>
    private static long SettledLiveCount()
    {
        Assert.True(TensorScope.Current is null, "a scope left open on this thread would own the tensors these tests create");
        for (var k = 0; k < 3; k++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return Torch.LiveTensors;
    }

    [Fact]
    public void CreateDisposeCyclesReturnToBaseline()
    {
        var baseline = SettledLiveCount();
        for (var k = 0; k < 100_000; k++)
        {
            var t = Tensor.Zeros([4]);
            Assert.Equal(baseline + 1, Torch.LiveTensors);
            t.Dispose();
        }
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void ScopedCyclesReturnToBaseline()
    {
        var baseline = SettledLiveCount();
        for (var k = 0; k < 20_000; k++)
        {
            using var scope = TensorScope.Enter();
            var a = Tensor.From(new float[] { 1, 2, 3 });
            var b = (a + 1).Mul(a).Sum();
            var parts = a.Split(1);
            Assert.Equal(baseline + 4 + parts.Length, Torch.LiveTensors);
            Assert.Equal(4 + parts.Length, scope.Count);
            if (k == 0) Assert.Equal(1.0 * 2 + 2 * 3 + 3 * 4, b.Item());
        }
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void DisposingTwiceReleasesOnce()
    {
        var baseline = SettledLiveCount();
        var t = Tensor.Ones([3]);
        t.Dispose();
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Equal(baseline, Torch.LiveTensors);
        using (var scope = TensorScope.Enter())
        {
            var u = Tensor.Ones([3]);
            u.Dispose();          // disposed by hand, then again by the scope
        }
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void AnAliasOutlivesItsBase()
    {
        var baseline = SettledLiveCount();
        var original = Tensor.From(new double[] { 1, 2, 3 });
        var alias = original.Alias();
        Assert.Equal(baseline + 2, Torch.LiveTensors);
        original.Dispose();
        Assert.Equal(baseline + 1, Torch.LiveTensors);
        Assert.Equal(new double[] { 1, 2, 3 }, alias.ToArray<double>());
        alias.Dispose();
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void FailedOpsLeaveNoHandleBehind()
    {
        var baseline = SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            var a = Tensor.Zeros([2, 3]);
            var b = Tensor.Zeros([4, 5]);
            // Each failure costs milliseconds (libtorch captures a C++ backtrace per c10::Error), so few rounds.
            for (var k = 0; k < 50; k++)
            {
                Assert.Throws<TorchException>(() => a.MatMul(b));
                Assert.Throws<TorchException>(() => a.Split([1, 1], 1));
                Assert.Throws<TorchException>(() => Functional.Lstm(a, a, a, [a], hasBiases: false, layers: 1));
            }
            Assert.Equal(baseline + 2, Torch.LiveTensors);
        }
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Abandon(int count)
    {
        for (var k = 0; k < count; k++) _ = Tensor.Ones([2]);
    }

    [Fact]
    public void TheFinalizerReleasesAbandonedTensors()
    {
        var baseline = SettledLiveCount();
        Abandon(1_000);
        Assert.Equal(baseline + 1_000, Torch.LiveTensors);
        Assert.Equal(baseline, SettledLiveCount());
    }

    [Fact]
    public void TrainingLoopReturnsToBaselineAndLearns()
    {
        var baseline = SettledLiveCount();
        // y = x·w* + b* exactly, so least squares recovers w* and b*.
        var trueWeights = new[] { 1.5, -2.0, 0.5 };
        const double trueBias = 0.25;
        const int samples = 32;
        var random = new Random(3);
        var xs = new double[samples * 3];
        var ys = new double[samples];
        for (var n = 0; n < samples; n++)
        {
            ys[n] = trueBias;
            for (var j = 0; j < 3; j++)
            {
                xs[n * 3 + j] = 2 * random.NextDouble() - 1;
                ys[n] += xs[n * 3 + j] * trueWeights[j];
            }
        }

        double firstLoss = 0, lastLoss = 0;
        double[] learnedWeights, learnedBias;
        using (var x = Tensor.From(xs, samples, 3))
        using (var y = Tensor.From(ys, samples, 1))
        using (var w = Tensor.Zeros([3, 1], DType.Float64).RequiresGrad_())
        using (var b = Tensor.Zeros([1], DType.Float64).RequiresGrad_())
        {
            var steady = Torch.LiveTensors;
            Assert.Equal(baseline + 4, steady);
            for (var step = 0; step < 500; step++)
            {
                using (var scope = TensorScope.Enter())
                {
                    var prediction = x.MatMul(w) + b;
                    var loss = Functional.MseLoss(prediction, y);
                    loss.Backward();
                    lastLoss = loss.Item();
                    if (step == 0) firstLoss = lastLoss;
                    using (Torch.NoGrad())
                    {
                        w.Sub_(w.Grad! * 0.2);
                        b.Sub_(b.Grad! * 0.2);
                    }
                    w.ZeroGrad();
                    b.ZeroGrad();
                    Assert.Null(w.Grad);
                }
                Assert.Equal(steady, Torch.LiveTensors);
            }
            Assert.True(w.RequiresGrad);
            learnedWeights = w.ToArray<double>();
            learnedBias = b.ToArray<double>();
        }
        Assert.Equal(baseline, Torch.LiveTensors);

        // The loss falls from its value at zero weights (mean of y²) to (almost) nothing.
        Assert.Equal(ys.Select(v => v * v).Average(), firstLoss, tolerance: 1e-12);
        Assert.True(lastLoss < 1e-8 * firstLoss, $"loss went from {firstLoss} to {lastLoss}");
        TensorAssert.Close(trueWeights, learnedWeights, rtol: 0, atol: 1e-4);
        TensorAssert.Close([trueBias], learnedBias, rtol: 0, atol: 1e-4);
    }

    [Fact]
    public void ScopeDisposesWhatItTracked()
    {
        var baseline = SettledLiveCount();
        Tensor a, b;
        using (var scope = TensorScope.Enter())
        {
            Assert.Same(scope, TensorScope.Current);
            a = Tensor.Ones([2]);
            b = a.Add(1);
            Assert.Equal(2, scope.Count);
            Assert.Equal(baseline + 2, Torch.LiveTensors);
        }
        Assert.Null(TensorScope.Current);
        Assert.True(a.IsDisposed);
        Assert.True(b.IsDisposed);
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void KeepMovesATensorToTheEnclosingScope()
    {
        var baseline = SettledLiveCount();
        Tensor kept, dropped;
        using (var outer = TensorScope.Enter())
        {
            using (var inner = TensorScope.Enter())
            {
                Assert.Same(inner, TensorScope.Current);
                dropped = Tensor.Ones([2]);
                kept = inner.Keep(dropped.Mul(3));
                Assert.Equal(1, inner.Count);
                Assert.Equal(1, outer.Count);
            }
            Assert.Same(outer, TensorScope.Current);
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(new float[] { 3, 3 }, kept.ToArray<float>());
            Assert.Equal(baseline + 1, Torch.LiveTensors);
        }
        Assert.True(kept.IsDisposed);
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void KeepInTheOutermostScopeHandsTheTensorToTheCaller()
    {
        var baseline = SettledLiveCount();
        Tensor kept;
        using (var scope = TensorScope.Enter())
        {
            kept = scope.Keep(Tensor.Ones([2]).Add(1));
        }
        Assert.False(kept.IsDisposed);
        Assert.Equal(new float[] { 2, 2 }, kept.ToArray<float>());
        Assert.Equal(baseline + 1, Torch.LiveTensors);
        // A later scope does not own it either.
        using (TensorScope.Enter()) { _ = kept.Mul(2); }
        Assert.False(kept.IsDisposed);
        kept.Dispose();
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void KeepOfSeveralAndKeepThroughTwoLevels()
    {
        var baseline = SettledLiveCount();
        Tensor a, b, c;
        using (var outer = TensorScope.Enter())
        {
            using (var middle = TensorScope.Enter())
            {
                using (var inner = TensorScope.Enter())
                {
                    a = Tensor.Ones([1]);
                    b = Tensor.Ones([1]);
                    c = Tensor.Ones([1]);
                    inner.Keep(a, b);
                }
                Assert.True(c.IsDisposed);
                middle.Keep(a);
            }
            Assert.False(a.IsDisposed);
            Assert.True(b.IsDisposed);
            Assert.Equal(1, outer.Count);
        }
        Assert.True(a.IsDisposed);
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void KeepIgnoresTensorsOwnedByAnotherScope()
    {
        var baseline = SettledLiveCount();
        Tensor fromOuter;
        using (var outer = TensorScope.Enter())
        {
            fromOuter = Tensor.Ones([2]);
            using (var inner = TensorScope.Enter())
            {
                inner.Keep(fromOuter);   // not the inner scope's to give away
                Assert.Equal(0, inner.Count);
            }
            Assert.False(fromOuter.IsDisposed);
        }
        Assert.True(fromOuter.IsDisposed);
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void DetachFromScopeLeavesDisposalToTheCaller()
    {
        var baseline = SettledLiveCount();
        Tensor detached;
        using (var outer = TensorScope.Enter())
        {
            using (var inner = TensorScope.Enter())
            {
                detached = inner.Detach(Tensor.Ones([2]));
                Assert.Equal(0, inner.Count);
            }
            Assert.Equal(0, outer.Count);
        }
        Assert.False(detached.IsDisposed);
        Assert.Equal(baseline + 1, Torch.LiveTensors);
        detached.Dispose();
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void TensorsCreatedOutsideAnyScopeAreUntouched()
    {
        var baseline = SettledLiveCount();
        Assert.Null(TensorScope.Current);
        using var outside = Tensor.From(new float[] { 1, 2 });
        using (var scope = TensorScope.Enter())
        {
            var inside = outside.Mul(2).Add(outside);
            Assert.Equal(new float[] { 3, 6 }, inside.ToArray<float>());
            Assert.Equal(2, scope.Count);
        }
        Assert.False(outside.IsDisposed);
        Assert.Equal(new float[] { 1, 2 }, outside.ToArray<float>());
        Assert.Equal(baseline + 1, Torch.LiveTensors);
    }

    [Fact]
    public void GradientReadsAreHandlesOfTheirOwn()
    {
        var baseline = SettledLiveCount();
        using (var x = Tensor.From(new double[] { 1, 2 }).RequiresGrad_())
        {
            using (var scope = TensorScope.Enter())
            {
                x.Mul(x).Sum().Backward();
                var first = x.Grad!;
                var second = x.Grad!;
                Assert.NotSame(first, second);
                first.Dispose();
                Assert.Equal(new double[] { 2, 4 }, second.ToArray<double>());
            }
            Assert.Equal(baseline + 1, Torch.LiveTensors);
        }
        Assert.Equal(baseline, Torch.LiveTensors);
    }

    [Fact]
    public void ScopesAreThreadLocal()
    {
        var baseline = SettledLiveCount();
        Tensor? fromOtherThread = null;
        using (var scope = TensorScope.Enter())
        {
            var thread = new Thread(() => fromOtherThread = Tensor.Ones([2]));
            thread.Start();
            thread.Join();
            Assert.Equal(0, scope.Count);
        }
        Assert.False(fromOtherThread!.IsDisposed);
        fromOtherThread.Dispose();
        Assert.Equal(baseline, Torch.LiveTensors);
    }
}
