using Liquid.Runtime.Nn;
using Liquid.Runtime.Tests.Support;

namespace Liquid.Runtime.Tests.Nn.Foundation;

/// <summary>
/// <see cref="Functional.WindowAttention"/> (the band kernel with its own backward) against the plain
/// composition it replaces: full scores q·kᵀ·scale masked to the causal window, softmax, times v,
/// written out here with libtorch's own differentiable ops. Forward and the gradients of q, k and v
/// must agree to 1e-12 in float64 (both are exact sums of the same terms in another order), for
/// grouped heads, caches (more keys than queries), windows from 1 to beyond the sequence, and every
/// tile size.
/// </summary>
public class WindowAttentionTests
{
    private const double Rtol = 1e-12, Atol = 1e-12;

    /// <summary>softmax(masked(q·kᵀ·scale))·v with K/V heads repeated per query head: the dense reference.</summary>
    private static Tensor Composition(Tensor q, Tensor k, Tensor v, double scale, long window)
    {
        using var scope = TensorScope.Enter();
        long heads = q.Size(1), steps = q.Size(2), kvHeads = k.Size(1), keys = k.Size(2);
        var keysPerHead = k.RepeatInterleave(heads / kvHeads, 1);
        var valuesPerHead = v.RepeatInterleave(heads / kvHeads, 1);
        var scores = q.MatMul(keysPerHead.Transpose(-2, -1)).Mul(scale);           // [B, H, T, S]
        var position = Tensor.Arange(keys - steps, keys, 1L).Unsqueeze(1);
        var key = Tensor.Arange(0L, keys, 1L).Unsqueeze(0);
        var blocked = key.Gt(position);
        if (window > 0) blocked = blocked.LogicalOr(key.Le(position.Sub(window)));
        return scope.Keep(scores.MaskedFill(blocked, double.NegativeInfinity).Softmax(-1).MatMul(valuesPerHead));
    }

    public static TheoryData<long, long, long, long, long, long> Cases => new()
    {
        // heads, kv heads, queries, keys, window (0: all earlier keys), tile rows (0: automatic)
        { 4, 2, 9, 9, 3, 0 },
        { 4, 2, 9, 9, 3, 1 },
        { 4, 2, 9, 9, 3, 4 },
        { 4, 4, 10, 10, 1, 3 },
        { 2, 1, 11, 11, 4, 5 },
        { 4, 2, 7, 7, 20, 0 },      // window beyond the sequence: plain causal
        { 4, 2, 7, 7, 0, 2 },       // no window
        { 4, 2, 5, 12, 3, 2 },      // a cache: the last 5 of 12 positions query
        { 4, 2, 1, 12, 4, 0 },      // one decoding step
        { 6, 3, 70, 70, 9, 0 },     // more than one automatic tile
        { 8, 2, 130, 130, 40, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsTheMaskedComposition(long heads, long kvHeads, long queries, long keys, long window, long block)
    {
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(17);
        // Value width differs from the key width, as differential attention's halves do.
        var q = Tensor.Randn([2, heads, queries, 6], DType.Float64).Mul(1.5).RequiresGrad_();
        var k = Tensor.Randn([2, kvHeads, keys, 6], DType.Float64).RequiresGrad_();
        var v = Tensor.Randn([2, kvHeads, keys, 5], DType.Float64).RequiresGrad_();
        var projection = Tensor.Randn([2, heads, queries, 5], DType.Float64);
        const double scale = 0.45;

        var expected = Composition(q, k, v, scale, window);
        var (eq, ek, ev) = Gradients(expected, projection, q, k, v);
        var actual = Functional.WindowAttention(q, k, v, scale, window, block);
        Assert.Equal(expected.Shape, actual.Shape);
        TensorAssert.Close(expected, actual, Rtol, Atol);
        var (aq, ak, av) = Gradients(actual, projection, q, k, v);
        TensorAssert.Close(eq, aq, Rtol, Atol);
        TensorAssert.Close(ek, ak, Rtol, Atol);
        TensorAssert.Close(ev, av, Rtol, Atol);

        // Without gradients the kernel keeps nothing for backward; values are the same.
        using (Torch.NoGrad()) TensorAssert.Close(expected, Functional.WindowAttention(q, k, v, scale, window, block), Rtol, Atol);
        using (Torch.InferenceMode()) TensorAssert.Close(expected, Functional.WindowAttention(q, k, v, scale, window, block), Rtol, Atol);
    }

    private static (Tensor, Tensor, Tensor) Gradients(Tensor output, Tensor projection, Tensor q, Tensor k, Tensor v)
    {
        q.ZeroGrad();
        k.ZeroGrad();
        v.ZeroGrad();
        output.Mul(projection).Sum().Backward();
        return (q.Grad!, k.Grad!, v.Grad!);
    }

    [Fact]
    public void StridedInputsAndFloat32Agree()
    {
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(18);
        // Heads split out of one projection, as the layers produce them: transposed, non-contiguous views.
        var q = Tensor.Randn([2, 9, 4, 8], DType.Float64).Transpose(1, 2);
        var k = Tensor.Randn([2, 9, 2, 8], DType.Float64).Transpose(1, 2).Narrow(-1, 0, 6);
        var v = Tensor.Randn([2, 9, 2, 8], DType.Float64).Transpose(1, 2);
        var q6 = q.Narrow(-1, 2, 6);
        var expected = Composition(q6, k, v, 0.4, 3);
        TensorAssert.Close(expected, Functional.WindowAttention(q6, k, v, 0.4, 3), Rtol, Atol);
        var single = Functional.WindowAttention(q6.To(DType.Float32), k.To(DType.Float32), v.To(DType.Float32), 0.4, 3);
        Assert.Equal(DType.Float32, single.DType);
        TensorAssert.Close(expected, single, 1e-5, 1e-6);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var scope = TensorScope.Enter();
        Torch.ManualSeed(19);
        var q = Tensor.Randn([1, 4, 6, 3], DType.Float64).RequiresGrad_();
        var k = Tensor.Randn([1, 2, 8, 3], DType.Float64).RequiresGrad_();
        var v = Tensor.Randn([1, 2, 8, 2], DType.Float64).RequiresGrad_();
        GradCheck.Check(x => Functional.WindowAttention(x[0], x[1], x[2], 0.7, window: 3, block: 4), [q, k, v]);
    }

    [Fact]
    public void BadInputsAreManagedErrors()
    {
        using var scope = TensorScope.Enter();
        var q = Tensor.Zeros([1, 4, 3, 8]);
        var k = Tensor.Zeros([1, 2, 3, 8]);
        var v = Tensor.Zeros([1, 2, 3, 5]);
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q, Tensor.Zeros([1, 3, 3, 8]), Tensor.Zeros([1, 3, 3, 5]), 1, 2));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q, k, Tensor.Zeros([1, 2, 4, 5]), 1, 2));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q, Tensor.Zeros([1, 2, 2, 8]), Tensor.Zeros([1, 2, 2, 5]), 1, 2));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q, k, v, 1, -1));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q, k, v, 1, 2, block: -3));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(q.To(DType.Float64), k, v, 1, 2));
        Assert.Throws<TorchException>(() => Functional.WindowAttention(Tensor.Zeros([4, 3, 8]), k, v, 1, 2));
        var error = Assert.Throws<TorchException>(() => Functional.WindowAttention(q, k, Tensor.Zeros([1, 2, 4, 5]), 1, 2));
        Assert.Contains("window_attention", error.Message);
    }

    /// <summary>The kernel's autograd function frees everything it saved once the graph is gone.</summary>
    [Collection(LiveTensorCountCollection.Name)]
    public class Lifetime
    {
        [Fact]
        public void ForwardAndBackwardLeaveNoTensorBehind()
        {
            for (var k = 0; k < 3; k++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            var baseline = Torch.LiveTensors;
            for (var round = 0; round < 20; round++)
            {
                using var scope = TensorScope.Enter();
                var q = Tensor.Randn([1, 4, 20, 4], DType.Float64).RequiresGrad_();
                var key = Tensor.Randn([1, 2, 20, 4], DType.Float64).RequiresGrad_();
                var v = Tensor.Randn([1, 2, 20, 4], DType.Float64).RequiresGrad_();
                Functional.WindowAttention(q, key, v, 0.5, 5, block: 3).Sum().Backward();
                using (q.Grad) { }
                using (key.Grad) { }
                using (v.Grad) { }
            }
            Assert.Equal(baseline, Torch.LiveTensors);
        }
    }
}
